"""factory_boy factories shared by every test package."""

from __future__ import annotations

import factory
from django.utils.text import slugify

from kir.accounts.models import Organisation, PartyCategory, Role, User
from kir.catalogue.models import DeviceModel, DeviceType, DeviceVersion, Manufacturer

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
