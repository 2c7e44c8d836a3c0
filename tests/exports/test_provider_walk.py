"""An aggregator's walk over the live provider, over HTTP: provider-metadata.json (schema) ->
public keys -> the TLP:GREEN ROLIE feed (401 without a token) -> each document -> its hashes
-> its signature (gpg --verify) -> BSI's validator; then index.txt and changes.csv agree.

No aggregator of the ecosystem can walk it here: the Python `csaf` package (2026.10.25) checks
CSAF 2.1 providers (its `distribute` commands want `metadata_version` 2.1) and sends no
credentials, so it cannot read a TLP:GREEN feed; csaf_distribution's csaf_checker is Go and on
no registry this project reaches. What the walk fetched is then handed to that package's own
checks of files (`csaf relate sign`, `hash`, `filename`), which do apply to CSAF 2.0."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import subprocess
import sys
import urllib.error
import urllib.request
from datetime import datetime
from pathlib import Path

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


CSAF_TOOL = Path(sys.executable).parent / "csaf"


def csaf_relate(*args: str | Path) -> int:
    done = subprocess.run(
        [str(CSAF_TOOL), "relate", *map(str, args)], capture_output=True, timeout=120, check=False
    )
    return done.returncode


def check_with_the_csaf_package(folder: Path, name: str, key: Path) -> None:
    """The `csaf` package agrees on what the walk fetched, and refuses a changed copy."""
    document = folder / name
    assert csaf_relate("sign", "--key", key, document) == 0, name
    assert csaf_relate("hash", "-a", "both", document) == 0, name
    assert csaf_relate("filename", document) == 0, name
    data = document.read_bytes()
    document.write_bytes(data.replace(b'"SECAS"', b'"SECAZ"', 1))
    assert csaf_relate("sign", "--key", key, document) == 1, name
    assert csaf_relate("hash", document) == 1, name


def test_an_aggregator_walks_the_provider(
    live_server, register_reference_data, settings, signing_home, verifier, csaf_validator, tmp_path
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
    key_file = tmp_path / "key.asc"
    for key in metadata["public_openpgp_keys"]:
        key_file.write_bytes(fetched(key["url"]))
        assert verifier.import_key(key_file.read_bytes()) == [key["fingerprint"]] == [fingerprint]
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
        name = path.rsplit("/", 1)[1]
        (tmp_path / name).write_bytes(data)
        for suffix in (".sha256", ".sha512", ".asc"):
            (tmp_path / f"{name}{suffix}").write_bytes(fetched(f"{links['self']}{suffix}", token))
        check_with_the_csaf_package(tmp_path, name, key_file)
        walked.append((path, tracking["current_release_date"]))
    index = fetched(f"{folder}index.txt", token).decode().split()
    assert sorted(index) == sorted(path for path, _ in walked)
    changes = list(csv.reader(io.StringIO(fetched(f"{folder}changes.csv", token).decode())))
    times = [datetime.fromisoformat(moment.replace("Z", "+00:00")) for _, moment in changes]
    assert times == sorted(times, reverse=True)
    assert {path for path, _ in changes} == set(index)
    assert {(path, moment) for path, moment in walked} <= {tuple(row) for row in changes}
