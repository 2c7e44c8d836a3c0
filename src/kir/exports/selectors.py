"""Which issues have a CSAF document a user may read: the published register's issues (published,
resolved, closed, withdrawn) that kir.register.selectors lets the user see. Drafts and issues
under assessment have none, even for those who may see them: a document is a publication."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import Http404

from kir.register.models import Issue
from kir.register.selectors import issue_get_visible, public_states_for

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from kir.accounts.models import User


def csaf_issue_get_visible(*, user: User | AnonymousUser, human_id: str) -> Issue:
    """The issue, or Http404 (the same answer as for a missing one) when it is hidden from
    `user` or not on the published register."""
    issue = issue_get_visible(user=user, human_id=human_id)
    if issue.state not in public_states_for(user):
        raise Http404("No such issue.")
    return issue
