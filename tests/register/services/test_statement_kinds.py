"""Who may add root-cause and remediation statements (issue 16 row 16): the named
manufacturers, the reporter, DCC and SECAS; everyone else who sees the issue may challenge."""

from __future__ import annotations

import pytest
from django.test import Client

from kir.accounts.models import PartyCategory, Role
from kir.register.errors import PermissionRefused
from kir.register.models import Statement
from kir.register.permissions import may_add_statement_of_kind
from kir.register.services import statement_add
from tests.factories import OrganisationFactory, UserFactory
from tests.register.ui_cast import UiCast, make_ui_cast

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast() -> UiCast:
    return make_ui_cast()


def _other_manufacturer():
    organisation = OrganisationFactory(name="Zed Devices", category=PartyCategory.MANUFACTURER)
    return UserFactory(username="zed", organisation=organisation, role=Role.CONTRIBUTOR)


@pytest.mark.parametrize("kind", ["root_cause", "remediation"])
def test_it_refuses_cause_and_remedy_from_parties_without_first_hand_knowledge(cast, kind):
    issue = cast.published()
    for outsider in (_other_manufacturer(), cast.other_supplier):
        assert may_add_statement_of_kind(outsider, issue, kind) is False
        with pytest.raises(PermissionRefused) as refused:
            statement_add(issue=issue, actor=outsider, kind=kind, text="It is the firmware.")
        assert "you may challenge one" in str(refused.value)
    assert not Statement.objects.filter(kind=kind).exists()


@pytest.mark.parametrize("kind", ["root_cause", "remediation"])
def test_it_accepts_cause_and_remedy_from_those_who_know(cast, kind):
    issue = cast.published()
    for insider in (cast.manufacturer_user, cast.reporter, cast.dcc, cast.admin_a):
        assert may_add_statement_of_kind(insider, issue, kind) is True
        statement_add(issue=issue, actor=insider, kind=kind, text="A timer resets.")
    assert Statement.objects.filter(kind=kind).count() == 4


def test_others_may_still_challenge_and_observe(cast):
    issue = cast.published()
    cause = statement_add(
        issue=issue, actor=cast.manufacturer_user, kind="root_cause", text="A timer resets."
    )
    outsider = _other_manufacturer()
    statement_add(
        issue=issue, actor=outsider, kind="challenge", text="Seen elsewhere.", challenges=cause
    )
    statement_add(issue=issue, actor=outsider, kind="observation", text="Also in South.")
    assert Statement.objects.filter(organisation=outsider.organisation).count() == 2


def test_the_statement_form_offers_only_the_kinds_the_service_accepts(cast):
    issue = cast.published()
    client = Client()
    client.force_login(_other_manufacturer())
    form = client.get(f"/issues/{issue.human_id}/statements/new/").content.decode()
    assert 'value="challenge"' in form and 'value="observation"' in form
    assert 'value="root_cause"' not in form and 'value="remediation"' not in form
    refused = client.post(
        f"/issues/{issue.human_id}/statements/new/", {"kind": "root_cause", "text": "Ours."}
    )
    assert refused.status_code == 422  # the form refuses a kind it does not offer
    assert not Statement.objects.exists()
