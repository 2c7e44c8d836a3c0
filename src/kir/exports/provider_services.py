"""Writes to the provider directory, run by the worker (kir.outbox.handlers) and by
`kir csaf ...`: one issue's entry, the signed audit anchor, and the rare whole-directory
passes (backfill, re-signing after a key rotation).

A refresh renders the issue's document, hashes and signs it outside any transaction (gpg may be
slow), then writes its one row and, when the document changed, appends one `changes.csv`
line: O(1) rows per publication, correction or withdrawal, whatever the register's size.
"""

from __future__ import annotations

import hashlib
import time
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kir.audit.anchor import audit_anchor
from kir.exports.csaf import TLP_LABEL
from kir.exports.csaf_source import csaf_publisher
from kir.exports.documents import RenderedDocument, csaf_render
from kir.exports.models import CsafAnchor, CsafCategory, CsafChange, CsafEntry
from kir.exports.provider import TLP_FOLDER, feed_entry
from kir.exports.provider_categories import rolie_categories
from kir.exports.provider_jobs import csaf_anchor_enqueue
from kir.exports.signing import sign, signing_fingerprint
from kir.outbox.models import Job
from kir.register.models import Issue
from kir.register.workflow import PUBLIC_STATES


def csaf_entry_refresh(*, issue_id: int) -> CsafEntry | None:
    """Bring the issue's entry in line with the register: write it when its document changed
    (or is signed by a key no longer signing), remove it when the issue left the published
    register. Returns the entry, None when there is none."""
    issue = Issue.objects.filter(pk=issue_id).first()
    if issue is None or issue.state not in PUBLIC_STATES:
        CsafEntry.objects.filter(issue_id=issue_id).delete()
        return None
    rendered = csaf_render(issue)
    path = rendered.path.removeprefix(f"{TLP_FOLDER}/")
    stored = CsafEntry.objects.filter(issue_id=issue_id).first()
    if stored is not None and _current(stored, path, rendered):
        return stored
    signature, signer = sign(rendered.data)
    return _store(issue, path, rendered, signature, signer)


def _current(stored: CsafEntry, path: str, rendered: RenderedDocument) -> bool:
    """The same bytes, signed by the key that signs now, listed with the same categories (in
    its feed entry and its rows: entries stored before categories have neither)."""
    return (
        bytes(stored.document) == rendered.data
        and stored.signed_by == (signing_fingerprint() or "")
        and stored.feed_entry == _feed_entry(path, rendered, bool(stored.signature))
        and set(stored.categories.values_list("kind", "term")) == set(rendered.categories)
    )


def _feed_entry(path: str, rendered: RenderedDocument, signed: bool) -> str:
    categories = rolie_categories(csaf_publisher(), rendered.categories)
    return feed_entry(csaf_publisher(), path, rendered.document, signed, categories)


@transaction.atomic
def _store(
    issue: Issue, path: str, rendered: RenderedDocument, signature: str, signer: str
) -> CsafEntry:
    data = rendered.data
    tracking = rendered.document["document"]["tracking"]
    initial = _parse(tracking["initial_release_date"])
    current = _parse(tracking["current_release_date"])
    previous = CsafEntry.objects.select_for_update().filter(issue=issue).first()
    entry, _ = CsafEntry.objects.update_or_create(
        issue=issue,
        defaults={
            "path": path,
            "tlp": TLP_LABEL,
            "tracking_id": tracking["id"],
            "initial_release": initial,
            "current_release": current,
            "document": data,
            "sha256": hashlib.sha256(data).hexdigest(),
            "sha512": hashlib.sha512(data).hexdigest(),
            "signature": signature,
            "signed_by": signer,
            "feed_entry": _feed_entry(path, rendered, bool(signature)),
        },
    )
    # The document's categories, rewritten with it: a few rows, whatever the register's size.
    CsafCategory.objects.filter(entry=entry).delete()
    CsafCategory.objects.bulk_create(
        CsafCategory(entry=entry, kind=kind, term=term) for kind, term in rendered.categories
    )
    if previous is None or bytes(previous.document) != data:
        CsafChange.objects.create(issue=issue, path=path, current_release=current)
    return entry


def _parse(timestamp: str) -> datetime:
    return datetime.fromisoformat(timestamp.replace("Z", "+00:00"))


def csaf_entry_job(job: Job) -> None:
    """Outbox handler of kind `csaf_entry`."""
    csaf_entry_refresh(issue_id=job.payload["issue_id"])
    csaf_anchor_enqueue(slot=_anchor_slot())


def csaf_rebuild(*, resign: bool = False) -> int:
    """Refresh every issue of the published register and drop entries of any other: the
    backfill after an upgrade, or (`resign`) re-signing everything after a key rotation. O(n),
    for those two occasions only. Returns how many entries there are."""
    CsafEntry.objects.exclude(issue__state__in=PUBLIC_STATES).delete()
    if resign:
        CsafEntry.objects.update(signed_by="")
    ids = Issue.objects.filter(state__in=PUBLIC_STATES).order_by("pk").values_list("pk", flat=True)
    count = sum(csaf_entry_refresh(issue_id=pk) is not None for pk in ids.iterator())
    csaf_anchor_publish()
    return count


def csaf_rebuild_job(job: Job) -> None:
    """Outbox handler of kind `csaf_rebuild` (queued once by the migration that adds the
    provider tables, so an existing register fills its directory)."""
    csaf_rebuild()


def _anchor_slot() -> int:
    return int(time.time() // max(settings.CSAF_ANCHOR_SECONDS, 1))


def csaf_anchor_publish() -> CsafAnchor:
    """Sign the audit chain's anchor as it stands and make it the published one."""
    line = audit_anchor().line() + "\n"
    current = CsafAnchor.objects.order_by("-id").first()
    if current and current.line == line and current.signed_by == (signing_fingerprint() or ""):
        return current
    signature, signer = sign(line.encode())
    with transaction.atomic():
        CsafAnchor.objects.all().delete()
        return CsafAnchor.objects.create(
            line=line, signature=signature, signed_by=signer, taken_at=timezone.now()
        )


def csaf_anchor_job(job: Job) -> None:
    """Outbox handler of kind `csaf_anchor`: publish, then queue the next slot's run, so the
    worker keeps the anchor fresh every CSAF_ANCHOR_SECONDS without a scheduler."""
    csaf_anchor_publish()
    slot = int(job.payload["slot"])
    period = max(settings.CSAF_ANCHOR_SECONDS, 1)
    csaf_anchor_enqueue(slot=slot + 1, delay_seconds=max((slot + 1) * period - time.time(), 0))
