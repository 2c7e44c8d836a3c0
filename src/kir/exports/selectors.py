"""Which issues have a CSAF document a user may read: the published register's issues (published,
resolved, closed, withdrawn) that kir.register.selectors lets the user see. Drafts and issues
under assessment have none, even for those who may see them: a document is a publication."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.db.models import Max, QuerySet
from django.http import Http404

from kir.exports.models import CsafCategory, CsafChange, CsafEntry
from kir.register.models import Issue
from kir.register.selectors import issue_get_visible, public_states_for

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from kir.accounts.models import User


def csaf_issue_get_visible(*, user: User | AnonymousUser, human_id: str) -> Issue:
    """The issue, or Http404 (the same answer as for a missing one) when it is hidden from
    `user` or not on the published register."""
    # Without the products: kir.exports.csaf_source reads them as plain values.
    issue = issue_get_visible(user=user, human_id=human_id, with_products=False)
    if issue.state not in public_states_for(user):
        raise Http404("No such issue.")
    return issue


def csaf_entries_visible_to(*, user: User | AnonymousUser) -> QuerySet[CsafEntry]:
    """The provider's stored documents `user` may read, newest current release first.

    By the states of `public_states_for` alone, which the visibility module guarantees to give
    the same issues as its full rule with a public-state filter: a join on the issue's state
    instead of the full rule's subquery (the 20,000-entry feed: benchmarks/csaf_provider.py)."""
    states = public_states_for(user)
    return CsafEntry.objects.filter(issue__state__in=states).order_by("-current_release", "-id")


def csaf_entry_get_visible(*, user: User | AnonymousUser, path: str) -> CsafEntry | None:
    return csaf_entries_visible_to(user=user).filter(path=path).first()


def csaf_changes_visible_to(*, user: User | AnonymousUser) -> QuerySet[CsafChange]:
    """`changes.csv` lines of the documents `user` may read (and that are still served)."""
    return CsafChange.objects.filter(
        issue__state__in=public_states_for(user), issue__csaf_entry__isnull=False
    ).order_by("-current_release", "-id")


def csaf_categories_visible_to(*, user: User | AnonymousUser) -> list[tuple[str, str]]:
    """(kind, term) of every ROLIE category of the stored documents `user` may read, each once:
    a category no readable document falls in is not listed."""
    rows = (
        CsafCategory.objects.filter(entry__issue__state__in=public_states_for(user))
        .values_list("kind", "term")
        .order_by("kind", "term")
        .distinct()
    )
    return list(rows)


def csaf_last_updated() -> datetime | None:
    """When the directory last changed: the newest stored document's current release."""
    return CsafEntry.objects.aggregate(newest=Max("current_release"))["newest"]
