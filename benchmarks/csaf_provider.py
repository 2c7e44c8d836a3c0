"""The CSAF provider at 20,000 documents: one publication's update against a full regeneration.

`KIR_INSECURE_TEST_KEY=1 .venv/bin/python benchmarks/csaf_provider.py [--documents 20000]`
makes a fresh SQLite database and keyring under var/bench/ (removed at the end), fills the
register with benchmarks/register_data.py (every issue published), creates the signing key and
stores one provider entry per issue. The first entry is rendered and signed for real; the others
are stored from it with their own id, hashes and feed entry (their signatures are the first
one's, so they do not verify: benchmark data, made in seconds rather than the hour that signing
20,000 documents one process each would take).

Then, in the same run:
- update: a correction lands on one issue and the worker's job runs (render, hash, sign, store
  one row, add one changes.csv line); the rows it touched are counted;
- full regeneration, the baseline: what a provider that regenerates its files does on every
  publication, here the ROLIE feed, index.txt, changes.csv and the category document of all
  documents rebuilt from the
  documents and written out, measured whole; and the documents themselves re-rendered and
  re-signed, measured on `--sample` issues and scaled up (marked "extrapolated");
- serving the streamed feed, index.txt, changes.csv and the category document to a
  signed-in reader.
Peak RSS is the process's. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup_django(scratch: Path) -> None:
    from benchmarks.csaf_document import setup_django as setup_database

    os.environ.update(
        KIR_CSAF_GNUPG_HOME=tempfile.mkdtemp(prefix="kir-gpg-bench-"),
        KIR_SITE_URL="https://register.example",
    )
    setup_database(scratch / "provider.sqlite3")


def seed_entries(count: int) -> int:
    """Publish every issue; one real entry, the rest stored from it. Returns the real one's id."""
    from django.utils import timezone

    from kir.exports.csaf_source import csaf_publisher
    from kir.exports.models import CsafCategory, CsafChange, CsafEntry
    from kir.exports.provider import feed_entry
    from kir.exports.provider_categories import rolie_categories
    from kir.exports.provider_services import csaf_entry_refresh
    from kir.register.models import Issue

    Issue.objects.filter(published_at=None).update(published_at=timezone.now())
    Issue.objects.update(state="published")
    ids = list(Issue.objects.order_by("pk").values_list("pk", "human_id")[:count])
    template = csaf_entry_refresh(issue_id=ids[0][0])
    assert template is not None and template.signature
    document = json.loads(bytes(template.document))
    publisher = csaf_publisher()
    pairs = list(template.categories.values_list("kind", "term"))
    categories = rolie_categories(publisher, pairs)
    for start in range(1, len(ids), 2000):
        rows, changes = [], []
        for pk, human_id in ids[start : start + 2000]:
            document["document"]["tracking"]["id"] = human_id
            data = (json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
            path = template.path.replace(ids[0][1].lower(), human_id.lower())
            rows.append(
                CsafEntry(
                    issue_id=pk,
                    path=path,
                    tlp=template.tlp,
                    tracking_id=human_id,
                    initial_release=template.initial_release,
                    current_release=template.current_release,
                    document=data,
                    sha256=hashlib.sha256(data).hexdigest(),
                    sha512=hashlib.sha512(data).hexdigest(),
                    signature=template.signature,
                    signed_by=template.signed_by,
                    feed_entry=feed_entry(publisher, path, document, True, categories),
                )
            )
            changes.append(
                CsafChange(issue_id=pk, path=path, current_release=template.current_release)
            )
        CsafEntry.objects.bulk_create(rows)
        CsafChange.objects.bulk_create(changes)
        CsafCategory.objects.bulk_create(
            CsafCategory(entry=row, kind=kind, term=term) for row in rows for kind, term in pairs
        )
    return ids[0][0]


def timed_update(issue_id: int, user) -> tuple[float, int, int, int]:  # type: ignore[no-untyped-def]
    """A correction's provider work as the worker does it: (seconds, entries, changes, category
    rows) touched."""
    from django.utils import timezone

    from kir.exports.models import CsafCategory, CsafChange, CsafEntry
    from kir.exports.provider_services import csaf_entry_refresh
    from kir.register.models import Statement

    Statement.objects.create(
        issue_id=issue_id,
        kind="correction",
        text=f"Correction made at {timezone.now().isoformat()}.",
        organisation=user.organisation,
        author=user,
    )
    changes = CsafChange.objects.count()
    last_category = CsafCategory.objects.order_by("-pk").values_list("pk", flat=True).first()
    mark = timezone.now()
    started = time.perf_counter()
    csaf_entry_refresh(issue_id=issue_id)
    seconds = time.perf_counter() - started
    touched = CsafEntry.objects.filter(updated_at__gte=mark).count()
    # Categories are rewritten with their entry: the new rows are the ones touched.
    categories = CsafCategory.objects.filter(pk__gt=last_category or 0).count()
    return seconds, touched, CsafChange.objects.count() - changes, categories


def full_files(out: Path) -> float:
    """The baseline's files: feed, index.txt and changes.csv of every document, from the
    documents, written whole (what a regenerating provider redoes on each publication)."""
    from kir.exports.csaf_source import csaf_publisher
    from kir.exports.models import CsafEntry
    from kir.exports.provider import change_line, feed_chunks, feed_entry
    from kir.exports.provider_categories import category_document, rolie_categories

    started = time.perf_counter()
    publisher, entries, index, changes = csaf_publisher(), [], [], []
    terms: set[tuple[str, str]] = set()
    rows = CsafEntry.objects.order_by("-current_release", "-id")
    for path, data, signed, moment in rows.values_list(
        "path", "document", "signature", "current_release"
    ).iterator(chunk_size=2000):
        document = json.loads(bytes(data))
        pairs = tree_categories(document)
        terms.update(pairs)
        categories = rolie_categories(publisher, pairs)
        entries.append(feed_entry(publisher, path, document, bool(signed), categories))
        index.append(f"{path}\n")
        changes.append(change_line(path, moment))
    newest = rows.values_list("current_release", flat=True).first()
    (out / "feed.json").write_text("".join(feed_chunks(publisher, newest, entries)))
    (out / "index.txt").write_text("".join(sorted(index)))
    (out / "changes.csv").write_text("".join(changes))
    category = category_document(publisher, sorted(terms))
    (out / "category.json").write_text(json.dumps(category, ensure_ascii=False))
    return time.perf_counter() - started


def tree_categories(document: dict) -> list[tuple[str, str]]:
    """A regenerating provider's categories: its product tree's vendor and model names."""
    pairs = []
    for vendor in document.get("product_tree", {}).get("branches", []):
        pairs.append(("manufacturer", vendor["name"]))
        pairs += [("model", model["name"]) for model in vendor.get("branches", [])]
    return pairs


def rebuild_sample(sample: int) -> float:
    """Seconds per document of re-rendering and re-signing, over `sample` real issues."""
    from kir.exports.models import CsafEntry
    from kir.exports.provider_services import csaf_entry_refresh

    ids = list(CsafEntry.objects.order_by("-pk").values_list("issue_id", flat=True)[:sample])
    CsafEntry.objects.filter(issue_id__in=ids).update(signed_by="")
    started = time.perf_counter()
    for pk in ids:
        csaf_entry_refresh(issue_id=pk)
    return (time.perf_counter() - started) / len(ids)


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed_get(client, url: str) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    response = client.get(url)
    if response.streaming:
        size = sum(len(chunk) for chunk in response.streaming_content)
    else:  # the category document: one DISTINCT, answered whole
        size = len(response.content)
    assert response.status_code == 200, (url, response.status_code)
    return time.perf_counter() - started, size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=20_000)
    parser.add_argument("--updates", type=int, default=5)
    parser.add_argument("--sample", type=int, default=100)
    args = parser.parse_args()
    (ROOT / "var" / "bench").mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=ROOT / "var" / "bench") as scratch:
        setup_django(Path(scratch))
        try:
            return run(args, Path(scratch))
        finally:
            home = os.environ["KIR_CSAF_GNUPG_HOME"]
            subprocess.run(["gpgconf", "--homedir", home, "--kill", "all"], check=False)
            subprocess.run(["rm", "-rf", home], check=False)


def serve(user) -> dict[str, tuple[float, int]]:  # type: ignore[no-untyped-def]
    from django.test import Client

    from kir.accounts.services import token_create

    _, secret = token_create(user=user, name="bench", expires_in_days=1)
    client = Client(headers={"Authorization": f"Bearer {secret}"})
    return {
        name: timed_get(client, f"/.well-known/csaf/green/{name}")
        for name in ("csaf-feed-tlp-green.json", "index.txt", "changes.csv", "category-green.json")
    }


def run(args: argparse.Namespace, scratch: Path) -> int:
    from benchmarks.register_data import generate_register
    from kir.exports.signing import key_create

    started = time.perf_counter()
    data = generate_register(issues=args.documents, products_per_issue=10)
    key_create()
    first = seed_entries(args.documents)
    print(f"{args.documents} documents stored in {time.perf_counter() - started:.1f} s")
    print(f"peak RSS after filling the register and the directory: {peak_mib():.0f} MiB")
    user = data.users["secas"]
    updates = [timed_update(first, user) for _ in range(args.updates)]
    print(f"peak RSS after the updates: {peak_mib():.0f} MiB")
    served = serve(data.users["supplier"])
    print(f"peak RSS after serving the feed and lists: {peak_mib():.0f} MiB")
    files = full_files(scratch)
    per_document = rebuild_sample(args.sample)
    update = statistics.median(seconds for seconds, *_ in updates)
    rows = {tuple(counts) for _, *counts in updates}
    documents = per_document * args.documents
    print(f"update (one correction), median of {args.updates}: {update * 1000:.1f} ms; rows")
    print(f"  touched per update (entries, changes.csv lines, category rows): {sorted(rows)}")
    print(f"full regeneration of feed + index.txt + changes.csv: {files * 1000:.0f} ms")
    print(
        f"full regeneration of the documents (render + sign): {documents:.0f} s "
        f"(extrapolated from {args.sample} at {per_document * 1000:.1f} ms each)"
    )
    print(f"full files / update: {files / update:.1f}x; with documents: {documents / update:.0f}x")
    for name, (seconds, size) in served.items():
        print(f"serve {name}: {seconds * 1000:.0f} ms, {size / 1024 / 1024:.1f} MiB")
    print(f"peak RSS at the end (the baseline holds every entry at once): {peak_mib():.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
