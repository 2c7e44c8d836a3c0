from __future__ import annotations

from django.db import models

from kir.identifiers import Component


class DeviceType(models.TextChoices):
    ESME = "ESME", "Electricity Smart Metering Equipment"
    GSME = "GSME", "Gas Smart Metering Equipment"
    CHF = "CHF", "Comms Hub Function"
    GPF = "GPF", "Gas Proxy Function"
    PPMID = "PPMID", "Prepayment Meter Interface Device"
    HCALCS = "HCALCS", "HAN Connected Auxiliary Load Control Switch"
    IHD = "IHD", "In-Home Display"
    CAD = "CAD", "Consumer Access Device"


class CplStatus(models.TextChoices):
    LISTED = "listed", "Listed"
    REMOVED = "removed", "Removed"
    WITHDRAWN = "withdrawn", "Withdrawn"
    PENDING = "pending", "Pending"


class Region(models.TextChoices):
    """The three DCC Communication Service Provider regions."""

    NORTH = "north", "North"
    CENTRAL = "central", "Central"
    SOUTH = "south", "South"


class Manufacturer(models.Model):
    identifier = models.CharField(
        max_length=4, unique=True, help_text="GBCS manufacturer id, 4 hex"
    )
    name = models.CharField(max_length=200)
    # The SEC Party organisation that speaks for this manufacturer (receives notices, replies).
    organisation = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="manufacturers",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.identifier})"


class DeviceModel(models.Model):
    manufacturer = models.ForeignKey(Manufacturer, on_delete=models.PROTECT, related_name="models")
    model_id = models.CharField(max_length=8, help_text="GBCS model identifier, 8 hex")
    device_type = models.CharField(max_length=8, choices=DeviceType.choices)
    name = models.CharField(max_length=200)
    smets_version = models.CharField(max_length=20, blank=True, help_text="SMETS/CHTS version")

    class Meta:
        ordering = ["manufacturer__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["manufacturer", "model_id"], name="unique_model_id")
        ]

    def __str__(self) -> str:
        return f"{self.name} [{self.device_type} {self.manufacturer.identifier}/{self.model_id}]"


class DeviceVersion(models.Model):
    device_model = models.ForeignKey(DeviceModel, on_delete=models.PROTECT, related_name="versions")
    hardware_version = models.CharField(max_length=8)
    firmware_version = models.CharField(max_length=8, help_text="8 hex")
    cpl_entry_id = models.CharField(max_length=40, unique=True, null=True, blank=True)
    cpl_status = models.CharField(
        max_length=20, choices=CplStatus.choices, default=CplStatus.LISTED
    )
    cpl_listed_on = models.DateField(null=True, blank=True)
    cpl_removed_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["device_model__manufacturer__name", "device_model__name", "firmware_version"]
        constraints = [
            models.UniqueConstraint(
                fields=["device_model", "hardware_version", "firmware_version"],
                name="unique_device_version",
            )
        ]

    def __str__(self) -> str:
        return f"{self.device_model} hw {self.hardware_version} fw {self.firmware_version}"

    def component(self) -> Component:
        model = self.device_model
        return Component(
            model.device_type, model.manufacturer.identifier, model.model_id, self.firmware_version
        )


class DMC(models.Model):
    """A Device Model Combination: the device versions installed together at one premises.

    `identifier` is derived from the members (kir.identifiers.dmc_identifier), so one combination
    always gets one id, here and in the tracker.
    """

    identifier = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=200, blank=True)
    members = models.ManyToManyField(DeviceVersion, related_name="dmcs")
    # Regions where the combination is installed; comms hubs differ by region.
    regions = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["identifier"]
        verbose_name = "DMC"
        verbose_name_plural = "DMCs"

    def __str__(self) -> str:
        return self.name or self.identifier
