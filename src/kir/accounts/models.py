from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models


class PartyCategory(models.TextChoices):
    """SEC Party categories; DCC and SECAS are single organisations with special duties."""

    LARGE_SUPPLIER = "large_supplier", "Large supplier"
    SMALL_SUPPLIER = "small_supplier", "Small supplier"
    ELECTRICITY_NETWORK_OPERATOR = "electricity_network_operator", "Electricity network operator"
    GAS_NETWORK_OPERATOR = "gas_network_operator", "Gas network operator"
    OTHER_SEC_PARTY = "other_sec_party", "Other SEC party"
    MANUFACTURER = "manufacturer", "Manufacturer"
    DCC = "dcc", "DCC"
    SECAS = "secas", "SECAS"


SUPPLIER_CATEGORIES = frozenset({PartyCategory.LARGE_SUPPLIER, PartyCategory.SMALL_SUPPLIER})


class Role(models.TextChoices):
    VIEWER = "viewer", "Viewer"
    CONTRIBUTOR = "contributor", "Contributor"
    COORDINATOR = "coordinator", "Coordinator"
    ADMINISTRATOR = "administrator", "Administrator"


class Organisation(models.Model):
    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    category = models.CharField(max_length=40, choices=PartyCategory.choices)
    # Where notices to the organisation go when no individual user is addressed.
    contact_email = models.EmailField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_supplier(self) -> bool:
        return self.category in SUPPLIER_CATEGORIES

    @property
    def is_secas(self) -> bool:
        return self.category == PartyCategory.SECAS

    @property
    def is_dcc(self) -> bool:
        return self.category == PartyCategory.DCC

    @property
    def is_manufacturer(self) -> bool:
        return self.category == PartyCategory.MANUFACTURER


class User(AbstractUser):
    """A person; every register user acts for exactly one SEC Party organisation."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="users", null=True, blank=True
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.VIEWER)

    def __str__(self) -> str:
        return self.get_username()


class ApiToken(models.Model):
    """A personal API token. Only a SHA-256 of the secret is stored; the secret is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    # The first characters of the secret, kept in clear so a user can tell tokens apart.
    prefix = models.CharField(max_length=12, db_index=True)
    secret_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
