"""An aggregator's walk over the live provider, over HTTP: provider-metadata.json (schema) ->
public keys -> the TLP:GREEN ROLIE feed (401 without a token) -> each document -> its hashes
-> its signature (gpg --verify) -> BSI's validator; then index.txt and changes.csv agree.

No aggregator of the ecosystem could do it here: the Python `csaf` package (2026.10.25) checks
CSAF 2.1 providers and sends no credentials, so it cannot read a TLP:GREEN feed;
csaf_distribution's csaf_checker is Go and is on no registry this project reaches."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import urllib.error
import urllib.request
from datetime import datetime

import pytest

from kir.accounts.models import User
from kir.accounts.services import token_create
from kir.exports.csaf import csaf_filename
from kir.exports.signing import key_create
from kir.outbox.worker import deliver_due
from kir.web.demo.seed import seed_demo
from tests.exports.test_provider import provider_schema_validator

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def fetch(url: str, token: str | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def fetched(url: str, token: str | None = None) -> bytes:
    status, content = fetch(url, token)
    assert status == 200, (url, status)
    return content


def check_hashes(url: str, data: bytes, token: str) -> None:
    name = url.rsplit("/", 1)[1]
    for algorithm in ("sha256", "sha512"):
        line = fetched(f"{url}.{algorithm}", token).decode()
        assert line == f"{hashlib.new(algorithm, data).hexdigest()}  {name}\n", url


def test_an_aggregator_walks_the_provider(
    live_server, settings, signing_home, verifier, csaf_validator
):
    settings.KIR_DEMO = True
    settings.SITE_URL = live_server.url
    fingerprint = key_create()
    seed_demo()
    deliver_due()
    _, token = token_create(
        user=User.objects.get(username="heron-viewer"), name="aggregator", expires_in_days=1
    )
    metadata = json.loads(fetched(f"{live_server.url}/.well-known/csaf/provider-metadata.json"))
    assert [e.message for e in provider_schema_validator().iter_errors(metadata)] == []
    for key in metadata["public_openpgp_keys"]:
        assert verifier.import_key(fetched(key["url"])) == [key["fingerprint"]] == [fingerprint]
    (feed_ref,) = metadata["distributions"][0]["rolie"]["feeds"]
    assert fetch(feed_ref["url"])[0] == 401
    feed = json.loads(fetched(feed_ref["url"], token))["feed"]
    assert feed["category"][0]["term"] == "csaf" and feed["entry"]
    folder = feed_ref["url"].rsplit("/", 1)[0] + "/"
    walked = []
    for entry in feed["entry"]:
        links = {link["rel"]: link["href"] for link in entry["link"]}
        assert links["self"] == entry["content"]["src"]
        data = fetched(links["self"], token)
        document = json.loads(data)
        tracking = document["document"]["tracking"]
        assert entry["id"] == tracking["id"]
        assert entry["updated"] == tracking["current_release_date"]
        path = links["self"].removeprefix(folder)
        assert path == f"{tracking['initial_release_date'][:4]}/{csaf_filename(tracking['id'])}"
        check_hashes(links["self"], data, token)
        assert verifier.verify(data, fetched(links["signature"], token)) == fingerprint
        assert csaf_validator.failures(document) == [], tracking["id"]
        walked.append((path, tracking["current_release_date"]))
    index = fetched(f"{folder}index.txt", token).decode().split()
    assert sorted(index) == sorted(path for path, _ in walked)
    changes = list(csv.reader(io.StringIO(fetched(f"{folder}changes.csv", token).decode())))
    times = [datetime.fromisoformat(moment.replace("Z", "+00:00")) for _, moment in changes]
    assert times == sorted(times, reverse=True)
    assert {path for path, _ in changes} == set(index)
    assert {(path, moment) for path, moment in walked} <= {tuple(row) for row in changes}
