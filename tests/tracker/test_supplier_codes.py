"""SECAS administrators say which organisation an inventory supplier id is, with an audit event."""

from __future__ import annotations

import pytest

from kir.accounts.models import PartyCategory, Role
from kir.audit.models import AuditEvent
from kir.register.errors import PermissionRefused, ValidationFailed
from kir.tracker.models import SupplierCode
from kir.tracker.services import supplier_code_set
from tests.factories import OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_secas_assigns_reassigns_and_removes_a_supplier_id(secas_admin) -> None:
    secas_admin.is_staff = True
    secas_admin.save()
    one = OrganisationFactory(name="Supplier One", category=PartyCategory.LARGE_SUPPLIER)
    two = OrganisationFactory(name="Supplier Two", category=PartyCategory.SMALL_SUPPLIER)
    supplier_code_set(actor=secas_admin, code=" SUP-01 ", organisation=one)
    supplier_code_set(actor=secas_admin, code="SUP-01", organisation=two)
    assert SupplierCode.objects.get().organisation == two
    assert supplier_code_set(actor=secas_admin, code="SUP-01", organisation=None) is None
    assert not SupplierCode.objects.exists()
    assert AuditEvent.objects.filter(verb="tracker.supplier_code_set").count() == 3


def test_only_secas_administrators_assign_and_only_to_suppliers(secas_admin) -> None:
    secas_admin.is_staff = True
    secas_admin.save()
    dcc = OrganisationFactory(name="DCC", category=PartyCategory.DCC)
    with pytest.raises(ValidationFailed):
        supplier_code_set(actor=secas_admin, code="SUP-01", organisation=dcc)
    coordinator = UserFactory(organisation=dcc, role=Role.ADMINISTRATOR, is_staff=True)
    with pytest.raises(PermissionRefused):
        supplier_code_set(actor=coordinator, code="SUP-01", organisation=None)
    assert not SupplierCode.objects.exists()
