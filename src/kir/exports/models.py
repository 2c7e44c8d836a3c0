"""What the exports app stores.

Saved estates: the lines of an estate file a supplier chose to keep (kir.exports.estate), only
when it saves a check's estate; seen only by its organisation (`saved_estates_for`). They feed
the "my estate" subscription through `estate_matches`.

The CSAF provider directory as stored rows: what `/.well-known/csaf/` serves, written by the
worker. One row per published document holds everything served about it (the bytes, their
hashes, the signature and its ROLIE feed entry, already rendered), so a publication, correction
or withdrawal rewrites one row and appends one change; the feed, `index.txt` and `changes.csv`
are streamed from these rows and never regenerated as a whole (docs/csaf-mapping.md).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from kir.register.models import Issue


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


class CsafEntry(models.Model):
    issue = models.OneToOneField(Issue, on_delete=models.CASCADE, related_name="csaf_entry")
    # Under the TLP folder: `<year>/<file name of section 5.1>`.
    path = models.CharField(max_length=200, unique=True)
    tlp = models.CharField(max_length=10)
    tracking_id = models.CharField(max_length=100)
    initial_release = models.DateTimeField()
    current_release = models.DateTimeField()
    document = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    sha512 = models.CharField(max_length=128)
    # ASCII-armoured detached signature; empty while no signing key exists.
    signature = models.TextField(blank=True)
    signed_by = models.CharField(max_length=40, blank=True)
    # The document's entry of the ROLIE feed, as JSON text.
    feed_entry = models.TextField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["-current_release", "-id"], name="csaf_entry_newest")]

    def __str__(self) -> str:
        return f"{self.tlp}/{self.path}"


class CsafCategory(models.Model):
    """One ROLIE category (requirement 17) a stored document falls in: written with its entry,
    so the folder's category document is a DISTINCT over the entries a reader may see and a
    publication rewrites only its own document's few rows."""

    entry = models.ForeignKey(CsafEntry, on_delete=models.CASCADE, related_name="categories")
    kind = models.CharField(max_length=20)  # kir.exports.provider_categories.KINDS
    term = models.CharField(max_length=300)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["entry", "kind", "term"], name="csaf_category_once")
        ]
        indexes = [models.Index(fields=["kind", "term"], name="csaf_category_term")]

    def __str__(self) -> str:
        return f"{self.kind}: {self.term}"


class CsafChange(models.Model):
    """One line of `changes.csv`: a document's new current release. Append-only, so the file
    grows at the top only."""

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="+")
    path = models.CharField(max_length=200)
    current_release = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["-current_release", "-id"], name="csaf_change_newest")]

    def __str__(self) -> str:
        return f"{self.path} {self.current_release:%Y-%m-%d %H:%M}"


class CsafAnchor(models.Model):
    """The newest anchor of the audit chain (`kir audit anchor`), signed; one row."""

    line = models.CharField(max_length=200)
    signature = models.TextField(blank=True)
    signed_by = models.CharField(max_length=40, blank=True)
    taken_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.line.strip()
