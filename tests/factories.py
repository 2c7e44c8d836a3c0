"""factory_boy factories shared by every test package."""

from __future__ import annotations

import factory
from django.utils.text import slugify

from kir.accounts.models import Organisation, PartyCategory, Role, User
from kir.catalogue.models import DMC, DeviceModel, DeviceType, DeviceVersion, Manufacturer
from kir.register.models import (
    AffectedProduct,
    Category,
    Evidence,
    Involvement,
    InvolvementRole,
    InvolvementStatus,
    Issue,
    IssueState,
    ProductStatus,
    Statement,
    StatementKind,
)
from kir.search.index import index_issue

TEST_PASSWORD = "correct horse battery staple"


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Organisation {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))
    category = PartyCategory.LARGE_SUPPLIER
    contact_email = factory.LazyAttribute(lambda o: f"contact@{o.slug}.example")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    organisation = factory.SubFactory(OrganisationFactory)
    role = Role.VIEWER
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class ManufacturerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Manufacturer
        django_get_or_create = ("identifier",)

    identifier = factory.Sequence(lambda n: f"{0x1000 + n:04X}")
    name = factory.Sequence(lambda n: f"Meters {n} Ltd")


class DeviceModelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DeviceModel

    manufacturer = factory.SubFactory(ManufacturerFactory)
    model_id = factory.Sequence(lambda n: f"{0x00A00000 + n:08X}")
    device_type = DeviceType.ESME
    name = factory.Sequence(lambda n: f"Model {n}")
    smets_version = "SMETS2 v4.1"


class DeviceVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DeviceVersion

    device_model = factory.SubFactory(DeviceModelFactory)
    hardware_version = "0001"
    firmware_version = factory.Sequence(lambda n: f"{0x01000000 + n:08X}")
    cpl_entry_id = factory.Sequence(lambda n: f"CPL-{n:05d}")


class DMCFactory(factory.django.DjangoModelFactory):
    """A combination of `members` (device versions); the id is a sequence, not the members' hash."""

    class Meta:
        model = DMC
        django_get_or_create = ("identifier",)
        skip_postgeneration_save = True

    identifier = factory.Sequence(lambda n: f"DMC-{0xD0000000 + n:012X}")
    name = factory.Sequence(lambda n: f"Combination {n}")
    regions = factory.LazyFunction(lambda: ["north"])

    @factory.post_generation
    def members(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.members.set(extracted)


class IssueFactory(factory.django.DjangoModelFactory):
    """An issue written straight to the database (no workflow); its search document is built.

    Year 2000 in the human id keeps factory issues apart from ids the services allocate.
    """

    class Meta:
        model = Issue
        skip_postgeneration_save = True

    human_id = factory.Sequence(lambda n: f"KIR-2000-{n:04d}")
    title = factory.Sequence(lambda n: f"Repeated alerts after firmware change {n}")
    summary = "Some installations report repeated alerts after a firmware change."
    description = "Observed in several regions; figures attached."
    category = Category.SUPERFLUOUS_ALERTS
    regions = factory.LazyFunction(lambda: ["north"])
    state = IssueState.DRAFT
    reporter_organisation = factory.SubFactory(OrganisationFactory)
    created_by = factory.SubFactory(
        UserFactory,
        organisation=factory.SelfAttribute("..reporter_organisation"),
        role=Role.CONTRIBUTOR,
    )

    @factory.post_generation
    def indexed(obj, create, extracted, **kwargs):
        if create:
            index_issue(obj)


class AffectedProductFactory(factory.django.DjangoModelFactory):
    """Pass device_version=... or dmc=...; by default a new device version."""

    class Meta:
        model = AffectedProduct

    issue = factory.SubFactory(IssueFactory)
    dmc = None
    device_version = factory.Maybe(
        "dmc", yes_declaration=None, no_declaration=factory.SubFactory(DeviceVersionFactory)
    )
    status = ProductStatus.KNOWN_AFFECTED


class StatementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Statement

    issue = factory.SubFactory(IssueFactory)
    kind = StatementKind.OBSERVATION
    text = "Alerts repeat every few seconds."
    organisation = factory.SelfAttribute("issue.reporter_organisation")
    author = factory.SubFactory(
        UserFactory, organisation=factory.SelfAttribute("..organisation"), role=Role.CONTRIBUTOR
    )


class InvolvementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Involvement

    issue = factory.SubFactory(IssueFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = InvolvementRole.AFFECTED_SUPPLIER
    status = InvolvementStatus.OPEN


class EvidenceFactory(factory.django.DjangoModelFactory):
    """Writes a small file under MEDIA_ROOT: point settings.MEDIA_ROOT at tmp_path in the test."""

    class Meta:
        model = Evidence

    issue = factory.SubFactory(IssueFactory)
    organisation = factory.SelfAttribute("issue.reporter_organisation")
    uploaded_by = factory.SubFactory(
        UserFactory, organisation=factory.SelfAttribute("..organisation"), role=Role.CONTRIBUTOR
    )
    file = factory.django.FileField(filename="evidence.csv", data=b"region,alerts\nnorth,12\n")
    description = "Alert counts per region"
    installation_level = False
