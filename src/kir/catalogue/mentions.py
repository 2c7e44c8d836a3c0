"""What names a catalogue entry: the published issues and the tracker findings about it.

Both read through their own visibility rules (register: issues_visible_to; tracker:
findings_visible_to), so a catalogue page shows a user exactly what the register and the tracker
would show that user.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from kir.accounts.models import User
from kir.catalogue.models import DMC, DeviceModel
from kir.register.models import Issue
from kir.register.selectors.visibility import issues_visible_to
from kir.register.workflow import PUBLIC_STATES
from kir.tracker.models import TrackerFinding
from kir.tracker.selectors import findings_visible_to

# A page lists the latest finding per key; a model in years of daily runs has many rows.
MAX_FINDINGS = 50

Viewer = User | AnonymousUser


@dataclass(frozen=True)
class Mentions:
    issues: list[Issue]
    findings: list[TrackerFinding]


def _published(user: Viewer, names: Q) -> list[Issue]:
    issues = issues_visible_to(user=user).filter(state__in=PUBLIC_STATES).filter(names)
    return list(issues.distinct().order_by("-published_at", "human_id")[:100])


def _latest_per_key(findings: QuerySet[TrackerFinding]) -> list[TrackerFinding]:
    latest: dict[str, TrackerFinding] = {}
    for finding in findings.order_by("-run_id", "position")[: MAX_FINDINGS * 10]:
        latest.setdefault(finding.key, finding)
        if len(latest) == MAX_FINDINGS:
            break
    return list(latest.values())


def mentions_of_model(user: Viewer, device_model: DeviceModel) -> Mentions:
    names = Q(products__device_version__device_model=device_model) | Q(
        products__dmc__members__device_model=device_model
    )
    findings = findings_visible_to(user).filter(parts__device_version__device_model=device_model)
    return Mentions(_published(user, names), _latest_per_key(findings.distinct()))


def mentions_of_dmc(user: Viewer, dmc: DMC) -> Mentions:
    names = Q(products__dmc=dmc) | Q(products__device_version__in=dmc.members.all())
    findings = findings_visible_to(user).filter(
        Q(dmc_rows__dmc=dmc) | Q(dmc_rows__identifier=dmc.identifier)
    )
    return Mentions(_published(user, names), _latest_per_key(findings.distinct()))
