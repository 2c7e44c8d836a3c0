"""What a webhook carries: an issue as one organisation's users see it, nothing more.

Every read goes through kir.register.selectors (visibility): a reader standing for the
organisation (an unsaved viewer of it) asks whether the issue is visible and which statements and
evidence exist for it, so installation-level evidence reaches only the organisation it belongs
to, SECAS and DCC, and a hidden issue produces no payload at all.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.conf import settings

from kir.accounts.models import Organisation, Role, User
from kir.register.api_schemas import ProductOut, StatementOut, summary_fields
from kir.register.models import Issue
from kir.register.selectors import evidence_visible_to, issue_is_visible_to, statements_visible_to


def reader_for(organisation: Organisation) -> User:
    """Who a payload is built for: any active viewer of the organisation sees exactly this."""
    return User(organisation=organisation, role=Role.VIEWER, is_active=True)


def issue_url(issue: Issue) -> str:
    return f"{settings.SITE_URL.rstrip('/')}/issues/{issue.human_id}/"


def issue_data(*, organisation: Organisation, issue: Issue) -> dict[str, Any] | None:
    """The issue as JSON-ready data for the organisation, or None when it may not see it."""
    reader = reader_for(organisation)
    if not issue_is_visible_to(reader, issue):
        return None
    statements = list(statements_visible_to(user=reader, issue=issue))
    later: dict[str, dict[int, list[int]]] = {
        "superseded_by": defaultdict(list),
        "challenged_by": defaultdict(list),
    }
    for statement in statements:
        if statement.supersedes_id:
            later["superseded_by"][statement.supersedes_id].append(statement.pk)
        if statement.challenges_id:
            later["challenged_by"][statement.challenges_id].append(statement.pk)
    products = issue.products.select_related(
        "device_version__device_model__manufacturer", "dmc"
    ).order_by("id")
    return {
        **{
            name: value.isoformat() if hasattr(value, "isoformat") else value
            for name, value in summary_fields(issue).items()
        },
        "url": issue_url(issue),
        "summary": issue.summary,
        "description": issue.description,
        "excess_alerts_per_day": issue.excess_alerts_per_day,
        "installations_affected": issue.installations_affected,
        "impact_rationale": issue.impact_rationale,
        "reporter_organisation": issue.reporter_organisation.name,
        "coordinator_organisation": (
            issue.coordinator_organisation.name if issue.coordinator_organisation else None
        ),
        "products": [ProductOut.from_product(p).model_dump(mode="json") for p in products],
        "statements": [
            StatementOut.from_statement(s, later).model_dump(mode="json") for s in statements
        ],
        "evidence": [
            {
                "id": item.pk,
                "description": item.description,
                "organisation": item.organisation.name,
                "installation_level": item.installation_level,
                "created_at": item.created_at.isoformat(),
            }
            for item in evidence_visible_to(user=reader, issue=issue).order_by("id")
        ],
    }
