from __future__ import annotations

import importlib
from collections.abc import Iterator

import pytest
from django.core.cache import caches

from kir.accounts.models import PartyCategory, Role
from tests.factories import OrganisationFactory, UserFactory
from tests.mailserver import SmtpSink, point_django_at, running_smtp_server


@pytest.fixture(autouse=True)
def _empty_fragment_cache() -> Iterator[None]:
    """Memoised fragments (settings.CACHES) live in the process: no test sees another's."""
    yield
    caches["template_fragments"].clear()


@pytest.fixture
def secas_admin(db):
    secas = OrganisationFactory(name="SECAS", category=PartyCategory.SECAS)
    return UserFactory(username="secas-admin", organisation=secas, role=Role.ADMINISTRATOR)


@pytest.fixture
def supplier_user(db):
    supplier = OrganisationFactory(name="Supplier A", category=PartyCategory.LARGE_SUPPLIER)
    return UserFactory(username="supplier-a", organisation=supplier, role=Role.CONTRIBUTOR)


@pytest.fixture
def smtp_server(settings) -> Iterator[SmtpSink]:
    """A real SMTP server on a free local port, with Django's SMTP backend pointed at it."""
    with running_smtp_server() as sink:
        point_django_at(settings, sink)
        yield sink


@pytest.fixture
def register_reference_data(transactional_db) -> None:
    """The phrase list and policy version 1 that the register's data migration creates.

    Transactional tests truncate every table afterwards, data-migration rows included, so a
    browser test cannot count on them; the migration's own (idempotent) function puts them back.
    """
    from django.apps import apps

    migration = importlib.import_module("kir.register.migrations.0002_seed_phrases_and_policy")
    migration.seed(apps, None)
