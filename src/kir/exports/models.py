"""A supplier's saved estate: the lines of an estate file it chose to keep (kir.exports.estate).

Kept only when the supplier saves a check's estate; seen only by its organisation
(`saved_estates_for`). It feeds the "my estate" subscription through `estate_matches`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class SavedEstate(models.Model):
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="saved_estates"
    )
    name = models.CharField(max_length=200)
    saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    saved_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-saved_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.organisation})"


class SavedEstateLine(models.Model):
    """A device version installed in the estate, within one DMC when `dmc` is set."""

    estate = models.ForeignKey(SavedEstate, on_delete=models.CASCADE, related_name="lines")
    manufacturer = models.CharField(max_length=4)
    model = models.CharField(max_length=8)
    firmware = models.CharField(max_length=8)
    dmc = models.CharField(max_length=16, blank=True)
    installations = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["estate", "manufacturer", "model", "firmware", "dmc"],
                name="saved_estate_line_once",
            )
        ]

    def __str__(self) -> str:
        label = f"{self.manufacturer}/{self.model}/{self.firmware}"
        return f"{label} in {self.dmc}" if self.dmc else label
