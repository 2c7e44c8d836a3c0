"""From a tracker finding to a draft register issue, through the register's own services.

The draft names the finding's components as affected products where the catalogue knows them
(device versions, and the DMCs it covers); parts it does not know are kept on the link and in the
description for SECAS to resolve, never dropped. The finding's figures and daily series go in as
aggregate evidence, the device drill-down as installation-level evidence (seen only by DCC, SECAS
and the supplier responsible), each naming the run and its rules hash.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction

from kir.accounts.models import User
from kir.accounts.permissions import Permission
from kir.audit.events import AuditEventType
from kir.audit.services import audit_record
from kir.register.errors import PermissionRefused
from kir.register.models import Category, EvidenceLevel, ImpactLevel, Issue
from kir.register.permissions import has_permission
from kir.register.services import evidence_add, issue_create_draft
from kir.tracker.models import FindingIssueLink, TrackerFinding
from kir.tracker.presenters import component_label, region_label

# The engine's certainty says how sure the observation is, which is the register's evidence level.
_EVIDENCE = {
    "established": EvidenceLevel.ESTABLISHED,
    "corroborated": EvidenceLevel.CORROBORATED,
    "indicative": EvidenceLevel.REPORTED,
}
_FIGURES = (
    "installations",
    "affected_installations",
    "alerts",
    "superfluous_alerts",
    "rate_per_installation_day",
    "baseline_rate_per_installation_day",
    "rate_ratio",
    "rate_ratio_ci_low",
    "rate_ratio_ci_high",
    "q_value",
    "prevalence",
    "persistence",
    "excess_alerts_per_day",
    "share_of_region_traffic",
)


def may_raise_issue(actor: User) -> bool:
    """DCC and SECAS turn findings into candidate issues (they see the full detail)."""
    organisation = getattr(actor, "organisation", None)
    return bool(
        organisation is not None
        and (organisation.is_dcc or organisation.is_secas)
        and has_permission(actor, Permission.REPORT_ISSUE)
    )


def _products(finding: TrackerFinding) -> tuple[list[dict[str, Any]], list[str]]:
    products, unresolved, seen = [], [], set()
    for part in finding.parts.select_related("device_version__device_model__manufacturer"):
        if part.device_version_id is None:
            unresolved.append(f"component {component_label(part)}")
        elif part.device_version_id not in seen:
            seen.add(part.device_version_id)
            products.append({"device_version": part.device_version_id})
    for row in finding.dmc_rows.all():
        if row.dmc_id is None:
            unresolved.append(f"DMC {row.identifier} (not in the catalogue)")
        else:
            products.append({"dmc": row.dmc_id})
    return products, unresolved


def figures(finding: TrackerFinding) -> dict[str, Any]:
    run = finding.run
    return {
        "run": run.pk,
        "rules_sha256": run.rules_sha256,
        "engine_version": run.engine_version,
        "window": [str(run.window_from), str(run.window_to)],
        "finding_key": finding.key,
        "region": finding.region,
        "alert_code": finding.alert_code,
        "certainty": finding.certainty,
        "components": finding.components,
        "dmcs": finding.dmcs,
        **{name: getattr(finding, name) for name in _FIGURES},
    }


def _series_csv(finding: TrackerFinding) -> str:
    out = io.StringIO()
    names = [
        "day",
        "alerts",
        "superfluous_alerts",
        "affected_installations",
        "baseline_rate_per_installation_day",
        "shows",
    ]
    writer = csv.DictWriter(out, fieldnames=names, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(finding.daily)
    return out.getvalue()


def _texts(finding: TrackerFinding, unresolved: list[str]) -> dict[str, str]:
    parts = "; ".join(component_label(p) for p in finding.parts.all()) or "its DMCs"
    region = region_label(finding.region)
    title = f"Superfluous {finding.alert_code} alerts correlated with {parts} in {region}"
    rules = finding.run.rules_sha256[:12]
    summary = (
        f"The superfluous alerts tracker (run {finding.run_id}, rules {rules}) "
        f"found {finding.alert_code} alerts correlated with {parts} in region {region}: "
        f"{finding.excess_alerts_per_day or 0:.1f} excess alerts a day across "
        f"{finding.affected_installations or 0} affected installations."
    )
    description = summary
    if unresolved:
        description += "\n\nNot in the catalogue, for SECAS to resolve:\n" + "\n".join(
            f"- {item}" for item in unresolved
        )
    share = finding.share_of_region_traffic
    rationale = (
        f"Excess alerts per day {finding.excess_alerts_per_day}; installations affected "
        f"{finding.affected_installations}; share of regional traffic "
        f"{'n/a' if share is None else f'{share:.4%}'} (tracker run {finding.run_id})."
    )
    return {
        "title": title[:200],
        "summary": summary,
        "description": description,
        "impact_rationale": rationale,
    }


def _attach_evidence(issue: Issue, finding: TrackerFinding, actor: User) -> None:
    run = f"run {finding.run_id}, rules {finding.run.rules_sha256[:12]}"
    evidence_add(
        issue=issue,
        actor=actor,
        file=ContentFile(
            json.dumps(figures(finding), indent=2, default=str).encode(),
            name=f"tracker-finding-{finding.pk}-figures.json",
        ),
        description=f"Tracker finding figures ({run})",
    )
    evidence_add(
        issue=issue,
        actor=actor,
        file=ContentFile(
            _series_csv(finding).encode(), name=f"tracker-finding-{finding.pk}-daily.csv"
        ),
        description=f"Tracker finding daily series ({run})",
    )
    if finding.devices:
        evidence_add(
            issue=issue,
            actor=actor,
            file=ContentFile(
                json.dumps(finding.devices, indent=2).encode(),
                name=f"tracker-finding-{finding.pk}-devices.json",
            ),
            description=f"Tracker finding device drill-down ({run})",
            installation_level=True,
        )


@transaction.atomic
def issue_draft_from_finding(*, actor: User, finding: TrackerFinding) -> FindingIssueLink:
    if not may_raise_issue(actor):
        raise PermissionRefused("Only DCC and SECAS raise draft issues from tracker findings.")
    products, unresolved = _products(finding)
    texts = _texts(finding, unresolved)
    issue = issue_create_draft(
        actor=actor,
        category=Category.SUPERFLUOUS_ALERTS,
        regions=[finding.region],
        products=products,
        evidence_level=_EVIDENCE.get(finding.certainty, EvidenceLevel.REPORTED),
        impact_level=ImpactLevel.LOW,
        excess_alerts_per_day=finding.excess_alerts_per_day,
        installations_affected=finding.affected_installations,
        **texts,
    )
    _attach_evidence(issue, finding, actor)
    link = FindingIssueLink.objects.create(
        finding_key=finding.key,
        finding=finding,
        issue=issue,
        unresolved=unresolved,
        created_by=actor,
    )
    audit_record(
        actor=actor,
        verb=AuditEventType.TRACKER_ISSUE_RAISED,
        target=link,
        data={
            "issue": issue.human_id,
            "finding": finding.pk,
            "run": finding.run_id,
            "rules_sha256": finding.run.rules_sha256,
            "unresolved": unresolved,
        },
    )
    return link
