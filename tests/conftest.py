from __future__ import annotations

import pytest

from kir.accounts.models import PartyCategory, Role
from tests.factories import OrganisationFactory, UserFactory


@pytest.fixture
def secas_admin(db):
    secas = OrganisationFactory(name="SECAS", category=PartyCategory.SECAS)
    return UserFactory(username="secas-admin", organisation=secas, role=Role.ADMINISTRATOR)


@pytest.fixture
def supplier_user(db):
    supplier = OrganisationFactory(name="Supplier A", category=PartyCategory.LARGE_SUPPLIER)
    return UserFactory(username="supplier-a", organisation=supplier, role=Role.CONTRIBUTOR)
