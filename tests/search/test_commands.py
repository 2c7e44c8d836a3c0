from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from kir.register.models import Issue
from kir.search.index import search_issue_ids
from tests.factories import AffectedProductFactory, IssueFactory

pytestmark = pytest.mark.django_db


def test_search_reindex_picks_up_a_renamed_manufacturer():
    issue = IssueFactory()
    product = AffectedProductFactory(issue=issue)
    maker = product.device_version.device_model.manufacturer
    maker.name = "Renamed Metering Plc"
    maker.save()
    assert not Issue.objects.filter(pk__in=search_issue_ids("renamed")).exists()

    out = StringIO()
    call_command("search_reindex", stdout=out)

    assert out.getvalue().strip() == "Reindexed 1 issue."
    assert list(Issue.objects.filter(pk__in=search_issue_ids("renamed"))) == [issue]
