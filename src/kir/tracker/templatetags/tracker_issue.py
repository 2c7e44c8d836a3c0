"""The tracker's section of an issue page: the linked finding's live figures and the fix check."""

from __future__ import annotations

from typing import Any

from django import template

from kir.register.models import Issue
from kir.tracker.models import FindingIssueLink
from kir.tracker.page_data import fix_checks
from kir.tracker.selectors import finding_view, findings_visible_to

register = template.Library()


@register.inclusion_tag("tracker/_issue_section.html", takes_context=True)
def tracker_on_issue(context: dict[str, Any], issue: Issue) -> dict[str, Any]:
    user = context["request"].user
    links = list(FindingIssueLink.objects.filter(issue=issue).select_related("finding"))
    live = []
    for link in links:
        later = findings_visible_to(user).filter(key=link.finding_key).order_by("-run_id")[:10]
        live += [(f, finding_view(user, f)) for f in later]
    return {
        "links": links,
        "live": live,
        "checks": fix_checks([issue]) if links else [],
    }
