"""The manufacturers each issue names, kept on its row by triggers (register migration 0006).

PostgreSQL only: the manufacturer filter reads the column there (selectors.filters); SQLite
answers the same filter from the products themselves, and tests/register/test_selectors.py
checks both give the same issues.
"""

from __future__ import annotations

import pytest
from django.db import connection

from kir.register.models import AffectedProduct
from kir.register.sql import NAMED_MANUFACTURERS_COLUMN
from tests.factories import (
    AffectedProductFactory,
    DeviceVersionFactory,
    DMCFactory,
    IssueFactory,
    OrganisationFactory,
    UserFactory,
)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL column"),
]


def named(issue) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {NAMED_MANUFACTURERS_COLUMN} FROM register_issue WHERE id = %s", [issue.pk]
        )
        return cursor.fetchone()[0]


def maker(version) -> int:
    return version.device_model.manufacturer_id


def test_it_follows_every_write_of_the_products():
    issue = IssueFactory()
    assert named(issue) == []
    direct, first_member, second_member = (DeviceVersionFactory() for _ in range(3))
    combination = DMCFactory(members=[first_member, second_member])

    by_version = AffectedProductFactory(issue=issue, device_version=direct)
    AffectedProductFactory(issue=issue, dmc=combination, device_version=None)
    assert named(issue) == sorted({maker(direct), maker(first_member), maker(second_member)})

    replacement = DeviceVersionFactory()
    AffectedProduct.objects.filter(pk=by_version.pk).update(device_version=replacement)
    assert named(issue) == sorted({maker(replacement), maker(first_member), maker(second_member)})

    AffectedProduct.objects.filter(dmc=combination).delete()
    assert named(issue) == [maker(replacement)]


def test_a_bulk_write_updates_each_issue_it_touches_and_no_other():
    issues = [IssueFactory() for _ in range(3)]
    versions = [DeviceVersionFactory() for _ in issues]
    untouched = IssueFactory()
    AffectedProductFactory(issue=untouched, device_version=DeviceVersionFactory())
    before = named(untouched)

    AffectedProduct.objects.bulk_create(
        AffectedProduct(issue=issue, device_version=version, status="known_affected")
        for issue, version in zip(issues, versions, strict=True)
    )

    assert [named(issue) for issue in issues] == [[maker(v)] for v in versions]
    assert named(untouched) == before


def test_products_written_before_their_issue_are_counted_when_the_issue_arrives():
    """Foreign keys are deferred: a fixture load may write a product before its issue row."""
    version = DeviceVersionFactory()
    reporter = OrganisationFactory()
    issue = IssueFactory.build(
        pk=10_000_000, reporter_organisation=reporter, created_by=UserFactory(organisation=reporter)
    )
    AffectedProduct.objects.create(issue_id=issue.pk, device_version=version, status="fixed")
    issue.save(force_insert=True)
    assert named(issue) == [maker(version)]
