"""The demo's published tracker edition: the latest demo run, proposed by one SECAS administrator
and approved by the other once the manufacturers' notices are delivered, so a newcomer sees an
edition, its findings and their charts at once."""

from __future__ import annotations

from kir.accounts.models import User
from kir.outbox.worker import deliver_due
from kir.register.errors import RegisterError
from kir.tracker.editions import edition_approve, edition_propose
from kir.tracker.models import EditionStatus, RunStatus, TrackerEdition, TrackerRun

PROPOSER, APPROVER = "secas-administrator", "secas-approver"


def seed_demo_edition() -> str:
    if TrackerEdition.objects.filter(status=EditionStatus.PUBLISHED).exists():
        return "a tracker edition is already published"
    run = TrackerRun.objects.filter(status=RunStatus.SUCCEEDED).order_by("-created_at").first()
    proposer = User.objects.filter(username=PROPOSER).first()
    approver = User.objects.filter(username=APPROVER).first()
    if run is None or proposer is None or approver is None:
        return "no tracker edition: the demo needs a run and both SECAS administrators"
    try:
        edition = edition_propose(actor=proposer, run=run, note="Demo edition")
        deliver_due(worker="demo-seed")  # the notices go out before the edition may
        edition = edition_approve(actor=approver, edition=edition)
    except RegisterError as refusal:
        return f"no tracker edition: {refusal}"
    return (
        f"edition {edition.number} published with {edition.findings.count()} findings, "
        f"{edition.notices.count()} manufacturer notices sent first"
    )
