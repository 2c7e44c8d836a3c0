"""`/.well-known/security.txt` (RFC 9116, CSAF requirement 8): its fields, an Expires always in
the future, a CSAF field that leads to the provider metadata, and a cleartext signature that
the register's published key verifies."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from django.test import Client

from kir.exports.security_txt import security_txt, security_txt_expires
from tests.exports.test_provider import provider_schema_validator

pytestmark = pytest.mark.django_db
URL = "/.well-known/security.txt"
SIGNED_HEADER = "-----BEGIN PGP SIGNED MESSAGE-----"


def fields(text: str) -> list[tuple[str, str]]:
    """(name, value) of each field line, in order; comments and the signature's armour left out."""
    if text.startswith(SIGNED_HEADER):
        text = text.split("\n\n", 1)[1].split("-----BEGIN PGP SIGNATURE-----")[0]
    pairs = []
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition(": ")
            pairs.append((name, value))
    return pairs


def test_it_serves_every_field_rfc_9116_and_csaf_ask_for(settings, signing_home):
    settings.SITE_URL = "https://register.example"
    response = Client().get(URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    text = response.content.decode()
    assert not text.startswith(SIGNED_HEADER)  # no key yet: served unsigned
    values = dict(fields(text))
    assert values["Contact"] == f"mailto:{settings.CSAF_KEY_EMAIL}"
    assert values["Canonical"] == "https://register.example/.well-known/security.txt"
    assert values["Preferred-Languages"] == "en"
    assert [name for name, _ in fields(text)].count("Expires") == 1
    csaf = [value for name, value in fields(text) if name == "CSAF"]
    assert csaf == ["https://register.example/.well-known/csaf/provider-metadata.json"]


def test_its_expires_lies_in_the_future_and_within_a_year(signing_home):
    expires = dict(fields(Client().get(URL).content.decode()))["Expires"]
    moment = datetime.fromisoformat(expires.replace("Z", "+00:00"))
    now = datetime.now(UTC)
    assert now + timedelta(days=179) < moment <= now + timedelta(days=180)


def test_its_csaf_field_resolves_to_the_provider_metadata(settings, signing_key):
    csaf_url = dict(fields(Client().get(URL).content.decode()))["CSAF"]
    assert csaf_url.startswith(settings.SITE_URL)
    metadata = Client().get(urlsplit(csaf_url).path)  # anonymous, as a finder would ask
    assert metadata.status_code == 200
    document = metadata.json()
    assert document["canonical_url"] == csaf_url
    assert document["role"] == "csaf_trusted_provider"
    assert list(provider_schema_validator().iter_errors(document)) == []


def test_it_is_cleartext_signed_by_the_published_key(signing_key, verifier):
    text = Client().get(URL).content
    assert text.startswith(SIGNED_HEADER.encode())
    key = Client().get(f"/.well-known/csaf/openpgp/{signing_key}.asc").content
    assert verifier.import_key(key) == [signing_key]
    assert verifier.verify_clearsigned(text) == signing_key
    assert dict(fields(text.decode()))["CSAF"].endswith("/.well-known/csaf/provider-metadata.json")
    tampered = text.replace(b"Preferred-Languages: en", b"Preferred-Languages: de")
    assert tampered != text
    assert verifier.verify_clearsigned(tampered) is None


def test_expires_is_midnight_utc_the_set_number_of_days_on():
    assert security_txt_expires(date(2026, 12, 3), 180) == datetime(2027, 6, 1, tzinfo=UTC)


@pytest.mark.parametrize("days", [0, 365, 1000])
def test_it_refuses_an_expiry_rfc_9116_advises_against(days):
    with pytest.raises(ValueError, match="KIR_SECURITY_TXT_DAYS"):
        security_txt_expires(date(2026, 12, 3), days)


@pytest.mark.parametrize("contact", ["security@register.example", "http://register.example", ""])
def test_it_refuses_a_contact_that_is_no_uri_of_rfc_9116(contact):
    with pytest.raises(ValueError, match="KIR_SECURITY_CONTACT"):
        security_txt(
            contact=contact,
            expires=datetime(2027, 6, 1, tzinfo=UTC),
            canonical_url="https://register.example/.well-known/security.txt",
            csaf_url="https://register.example/.well-known/csaf/provider-metadata.json",
        )


def test_a_misconfigured_contact_fails_loudly(settings, signing_home):
    settings.SECURITY_CONTACT = "security@register.example"
    with pytest.raises(ValueError):
        Client(raise_request_exception=True).get(URL)
