"""Involvements (CSAF vocabulary) and the DCC coordinator."""

from __future__ import annotations

import pytest

from kir.register import services
from kir.register.errors import PermissionRefused, ValidationFailed
from kir.register.models import Involvement, InvolvementRole, InvolvementStatus, IssueState


def test_it_lets_a_coordinator_set_any_involvement(world):
    issue = world.issue_in(IssueState.UNDER_ASSESSMENT)
    involvement = services.involvement_set(
        issue=issue,
        actor=world.users["dcc_coordinator"],
        organisation=world.organisations["other_supplier"],
        role=InvolvementRole.AFFECTED_SUPPLIER,
        status=InvolvementStatus.IN_PROGRESS,
    )
    assert involvement.status == InvolvementStatus.IN_PROGRESS
    again = services.involvement_set(
        issue=issue,
        actor=world.users["secas_coordinator"],
        organisation=world.organisations["other_supplier"],
        role=InvolvementRole.AFFECTED_SUPPLIER,
        status=InvolvementStatus.COMPLETED,
    )
    assert again.pk == involvement.pk and again.status == InvolvementStatus.COMPLETED


def test_it_lets_an_organisation_set_only_its_own(world):
    issue = world.issue_in(IssueState.MANUFACTURER_NOTIFIED)
    own = services.involvement_set(
        issue=issue,
        actor=world.maker,
        organisation=world.organisations["manufacturer"],
        role=InvolvementRole.MANUFACTURER,
        status=InvolvementStatus.IN_PROGRESS,
    )
    assert own.status == InvolvementStatus.IN_PROGRESS
    with pytest.raises(PermissionRefused):
        services.involvement_set(
            issue=issue,
            actor=world.maker,
            organisation=world.organisations["reporter"],
            role=InvolvementRole.REPORTER,
            status=InvolvementStatus.COMPLETED,
        )


def test_it_refuses_unknown_roles_and_statuses(world):
    issue = world.draft()
    with pytest.raises(ValidationFailed) as refusal:
        services.involvement_set(
            issue=issue,
            actor=world.admin,
            organisation=world.organisations["dcc"],
            role="bystander",
            status="bored",
        )
    assert set(refusal.value.errors) == {"role", "status"}


def test_it_assigns_dcc_as_coordinator(world):
    issue = world.issue_in(IssueState.UNDER_ASSESSMENT)
    issue = services.coordinator_assign(
        issue=issue, actor=world.users["secas_coordinator"], organisation=world.organisations["dcc"]
    )
    assert issue.coordinator_organisation == world.organisations["dcc"]
    involvement = Involvement.objects.get(issue=issue, role=InvolvementRole.COORDINATOR)
    assert involvement.organisation == world.organisations["dcc"]
    with pytest.raises(ValidationFailed):
        services.coordinator_assign(
            issue=issue, actor=world.admin, organisation=world.organisations["other_supplier"]
        )
    with pytest.raises(PermissionRefused):
        services.coordinator_assign(
            issue=issue,
            actor=world.users["dcc_coordinator"],
            organisation=world.organisations["dcc"],
        )
