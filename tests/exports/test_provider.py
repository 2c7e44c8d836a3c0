"""The provider directory: metadata valid against the provider schema, entries written by the
worker one issue at a time, signatures that gpg verifies, TLP:GREEN behind authentication."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from kir.accounts.models import User
from kir.accounts.services import token_create
from kir.exports.models import CsafAnchor, CsafChange, CsafEntry
from kir.exports.provider_services import csaf_anchor_publish
from kir.outbox.models import Job, JobState
from kir.outbox.worker import deliver_due
from kir.register.models import Issue, IssueState, Statement, StatementKind
from kir.register.services.statements import statement_add
from kir.register.services.transitions import issue_transition
from kir.register.workflow import PUBLIC_STATES

pytestmark = pytest.mark.django_db
SCHEMAS = Path(__file__).parent / "schemas"
GREEN = "/.well-known/csaf/green"


def provider_schema_validator() -> Draft202012Validator:
    schemas = [json.loads((SCHEMAS / name).read_text()) for name in sorted(SCHEMAS.iterdir())]
    registry = Registry().with_resources(
        (schema["$id"], Resource.from_contents(schema)) for schema in schemas
    )
    provider = next(s for s in schemas if s["$id"].endswith("provider_json_schema.json"))
    return Draft202012Validator(provider, registry=registry)


def body(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def reader(username: str = "brightwater-viewer") -> Client:
    _, secret = token_create(user=User.objects.get(username=username), name="t", expires_in_days=1)
    return Client(headers={"Authorization": f"Bearer {secret}"})


def test_it_serves_metadata_valid_against_the_provider_schema(demo, signing_key):
    deliver_due()
    metadata = Client().get("/.well-known/csaf/provider-metadata.json").json()
    errors = [error.message for error in provider_schema_validator().iter_errors(metadata)]
    assert errors == []
    assert metadata["role"] == "csaf_trusted_provider"
    assert [key["fingerprint"] for key in metadata["public_openpgp_keys"]] == [signing_key]
    feed = metadata["distributions"][0]["rolie"]["feeds"][0]
    assert feed["tlp_label"] == "GREEN"
    assert feed["url"].endswith(f"{GREEN}/csaf-feed-tlp-green.json")


def test_it_refuses_a_metadata_missing_its_role():
    """The schema check is real: a metadata document without a role fails it."""
    assert list(provider_schema_validator().iter_errors({"metadata_version": "2.0"}))


def test_it_signs_every_document_with_the_published_key(demo, signing_key, verifier):
    deliver_due()
    key = Client().get(f"/.well-known/csaf/openpgp/{signing_key}.asc")
    assert key["Content-Type"] == "application/pgp-keys"
    assert verifier.import_key(key.content) == [signing_key]
    client = reader()
    paths = body(client.get(f"{GREEN}/index.txt")).decode().split()
    assert len(paths) == Issue.objects.filter(state__in=PUBLIC_STATES).count() >= 4
    for path in paths:
        document = client.get(f"{GREEN}/{path}").content
        signature = client.get(f"{GREEN}/{path}.asc").content
        assert verifier.verify(document, signature) == signing_key, path
        assert verifier.verify(document + b" ", signature) is None, path


def test_it_writes_one_entry_and_one_change_per_correction(demo, signing_key):
    deliver_due()
    corrected = Statement.objects.filter(issue__state=IssueState.PUBLISHED).order_by("pk")[0]
    issue = corrected.issue
    entries_before = dict(CsafEntry.objects.values_list("issue_id", "updated_at"))
    changes_before = CsafChange.objects.count()
    statement_add(
        issue=issue,
        actor=User.objects.get(username="secas-administrator"),
        kind=StatementKind.CORRECTION,
        text="The excess alert figure counts both alert codes of each pair.",
        supersedes=corrected,
    )
    assert Job.objects.filter(kind="csaf_entry", state=JobState.PENDING).exists()
    deliver_due()
    entries_after = dict(CsafEntry.objects.values_list("issue_id", "updated_at"))
    assert {pk for pk in entries_after if entries_after[pk] != entries_before[pk]} == {issue.pk}
    assert CsafChange.objects.count() == changes_before + 1
    top = body(reader().get(f"{GREEN}/changes.csv")).decode().splitlines()[0]
    assert top.startswith(f'"{issue.csaf_entry.path}",')


def test_it_keeps_a_withdrawn_document_listed_saying_so(demo, signing_key):
    deliver_due()
    issue = Issue.objects.filter(state=IssueState.PUBLISHED).order_by("pk").first()
    issue_transition(
        issue=issue,
        actor=User.objects.get(username="secas-administrator"),
        transition="withdraw",
        reason="The manufacturer showed the alerts came from a test rig.",
    )
    deliver_due()
    client = reader()
    assert issue.csaf_entry.path in body(client.get(f"{GREEN}/index.txt")).decode()
    document = json.loads(client.get(f"{GREEN}/{issue.csaf_entry.path}").content)
    assert document["document"]["title"].startswith("[WITHDRAWN] ")
    feed = client.get(f"{GREEN}/csaf-feed-tlp-green.json")
    titles = {e["id"]: e["title"] for e in json.loads(body(feed))["feed"]["entry"]}
    assert titles[issue.human_id].startswith("[WITHDRAWN] ")


def test_it_asks_for_credentials_in_the_green_folder(demo, signing_key):
    deliver_due()
    path = CsafEntry.objects.first().path
    for url in ("csaf-feed-tlp-green.json", "index.txt", "changes.csv", path, f"{path}.asc"):
        assert Client().get(f"{GREEN}/{url}").status_code == 401, url
    assert Client().get("/.well-known/csaf/audit/anchor.txt").status_code == 401
    assert reader().get(f"/.well-known/csaf/amber/{path}").status_code == 404


def test_it_stores_unsigned_entries_until_a_key_exists_then_signs_them(demo, verifier):
    deliver_due()
    assert set(CsafEntry.objects.values_list("signature", flat=True)) == {""}
    path = CsafEntry.objects.first().path
    assert reader().get(f"{GREEN}/{path}.asc").status_code == 404
    call_command("csaf", "key", "create")
    call_command("csaf", "key", "show")
    signer = CsafEntry.objects.first().signed_by
    assert signer and set(CsafEntry.objects.values_list("signed_by", flat=True)) == {signer}
    verifier.import_key(Client().get(f"/.well-known/csaf/openpgp/{signer}.asc").content)
    client = reader()
    document, signature = (client.get(f"{GREEN}/{path}{s}").content for s in ("", ".asc"))
    assert verifier.verify(document, signature) == signer


def test_it_re_signs_everything_when_the_key_rotates(demo, signing_key):
    deliver_due()
    call_command("csaf", "key", "rotate")
    metadata = Client().get("/.well-known/csaf/provider-metadata.json").json()
    published = [key["fingerprint"] for key in metadata["public_openpgp_keys"]]
    new = published[0]
    assert new != signing_key and published == [new, signing_key]
    assert set(CsafEntry.objects.values_list("signed_by", flat=True)) == {new}
    call_command("csaf", "key", "rotate", "--retire-old")
    metadata = Client().get("/.well-known/csaf/provider-metadata.json").json()
    assert len(metadata["public_openpgp_keys"]) == 1
    assert Client().get(f"/.well-known/csaf/openpgp/{signing_key}.asc").status_code == 404


def test_it_refuses_a_second_key_create(signing_key):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="kir csaf key rotate"):
        call_command("csaf", "key", "create")


def test_it_publishes_the_audit_anchor_signed_and_queues_the_next(demo, signing_key, verifier):
    deliver_due()
    anchor = CsafAnchor.objects.get()
    client = reader()
    line = client.get("/.well-known/csaf/audit/anchor.txt").content
    assert line.decode().startswith("kir-audit-anchor v1 count=")
    verifier.import_key(Client().get(f"/.well-known/csaf/openpgp/{signing_key}.asc").content)
    signature = client.get("/.well-known/csaf/audit/anchor.txt.asc").content
    assert verifier.verify(line, signature) == signing_key
    next_runs = Job.objects.filter(kind="csaf_anchor", state=JobState.PENDING)
    assert next_runs.count() == 1
    latest = csaf_anchor_publish()
    assert csaf_anchor_publish().pk == latest.pk  # nothing changed since: the same row
    assert latest.line != anchor.line  # the reader's token was audited in between


def test_it_serves_the_signed_bytes_through_the_api_too(demo, signing_key, verifier):
    deliver_due()
    entry = CsafEntry.objects.select_related("issue").first()
    client = reader()
    api = client.get(f"/api/issues/{entry.issue.human_id}/csaf").content
    assert api == client.get(f"{GREEN}/{entry.path}").content == bytes(entry.document)
    verifier.import_key(Client().get(f"/.well-known/csaf/openpgp/{signing_key}.asc").content)
    assert verifier.verify(api, entry.signature.encode()) == signing_key
