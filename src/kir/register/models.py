"""The register of known issues: issues, their products, statements, involvements and decisions.

Writes go through kir.register.services; reads that depend on who asks go through
kir.register.selectors.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q


class IssueState(models.TextChoices):
    DRAFT = "draft", "Draft"
    UNDER_ASSESSMENT = "under_assessment", "Under assessment"
    MANUFACTURER_NOTIFIED = "manufacturer_notified", "Manufacturer notified"
    PUBLISHED = "published", "Published"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"
    REJECTED = "rejected", "Rejected"
    WITHDRAWN = "withdrawn", "Withdrawn"


class Category(models.TextChoices):
    SUPERFLUOUS_ALERTS = "superfluous_alerts", "Superfluous alerts"
    COMMUNICATIONS = "communications", "Communications"
    FIRMWARE_UPGRADE = "firmware_upgrade", "Firmware and upgrade"
    INTEROPERABILITY = "interoperability", "Interoperability"
    METROLOGY = "metrology", "Metrology"
    PREPAYMENT = "prepayment", "Prepayment"
    SECURITY = "security", "Security"
    OTHER = "other", "Other"


class OrderedChoices(models.TextChoices):
    """Choices listed from lowest to highest; `rank` compares them."""

    @classmethod
    def rank(cls, value: str) -> int:
        return list(cls.values).index(value)

    @classmethod
    def at_or_above(cls, value: str) -> list[str]:
        return list(cls.values)[cls.rank(value) :]


class EvidenceLevel(OrderedChoices):
    """How sure we are of the observation (not of its cause). Ordered: see `rank`."""

    REPORTED = "reported", "Reported"
    CORROBORATED = "corroborated", "Corroborated"
    ESTABLISHED = "established", "Established"


class TrackerGrade(OrderedChoices):
    """The tracker engine's certainty grades (docs/tracker.md, "Certainty"). Ordered: see `rank`."""

    INDICATIVE = "indicative", "Indicative"
    CORROBORATED = "corroborated", "Corroborated"
    ESTABLISHED = "established", "Established"


class RootCauseStatus(models.TextChoices):
    UNKNOWN = "unknown", "Unknown"
    SUSPECTED = "suspected", "Suspected"
    IDENTIFIED = "identified", "Identified"
    CONFIRMED = "confirmed", "Confirmed"
    DISPUTED = "disputed", "Disputed"


class ImpactLevel(OrderedChoices):
    """Ordered: see `rank`."""

    LOW = "low", "Low"
    MODERATE = "moderate", "Moderate"
    HIGH = "high", "High"
    SEVERE = "severe", "Severe"


class ProductStatus(models.TextChoices):
    """CSAF 2.0 product status vocabulary (the subset that applies before a fix is certain)."""

    UNDER_INVESTIGATION = "under_investigation", "Under investigation"
    KNOWN_AFFECTED = "known_affected", "Known affected"
    FIXED = "fixed", "Fixed"
    KNOWN_NOT_AFFECTED = "known_not_affected", "Known not affected"


class StatementKind(models.TextChoices):
    OBSERVATION = "observation", "Observation"
    ROOT_CAUSE = "root_cause", "Root cause"
    REMEDIATION = "remediation", "Remediation"
    WORKAROUND = "workaround", "Workaround"
    MANUFACTURER_RESPONSE = "manufacturer_response", "Manufacturer response"
    CHALLENGE = "challenge", "Challenge"
    CORRECTION = "correction", "Correction"


class InvolvementRole(models.TextChoices):
    REPORTER = "reporter", "Reporter"
    MANUFACTURER = "manufacturer", "Manufacturer"
    COORDINATOR = "coordinator", "Coordinator"
    AFFECTED_SUPPLIER = "affected_supplier", "Affected supplier"


class InvolvementStatus(models.TextChoices):
    """CSAF 2.0 involvement status vocabulary."""

    NOT_CONTACTED = "not_contacted", "Not contacted"
    CONTACT_ATTEMPTED = "contact_attempted", "Contact attempted"
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    DISPUTED = "disputed", "Disputed"


# The longest texts an issue takes, in characters, wherever they are written (forms, API,
# services): the page renders each as Markdown, and a 2 MB description took 0.9 s a view.
TEXT_LIMITS = {"title": 200, "summary": 2000, "description": 100_000, "impact_rationale": 20_000}
# Largest value of the count columns (PositiveIntegerField: 32 bits on PostgreSQL).
MAX_COUNT = 2**31 - 1


class Issue(models.Model):
    human_id = models.CharField(max_length=20, unique=True, editable=False)
    title = models.CharField(max_length=200)
    summary = models.TextField()
    description = models.TextField(blank=True, help_text="Markdown; rendered sanitised")
    category = models.CharField(max_length=30, choices=Category.choices)
    # Values of kir.catalogue.models.Region.
    regions = models.JSONField(default=list, blank=True)
    state = models.CharField(
        max_length=30, choices=IssueState.choices, default=IssueState.DRAFT, db_index=True
    )
    evidence_level = models.CharField(
        max_length=20, choices=EvidenceLevel.choices, default=EvidenceLevel.REPORTED
    )
    root_cause_status = models.CharField(
        max_length=20, choices=RootCauseStatus.choices, default=RootCauseStatus.UNKNOWN
    )
    impact_level = models.CharField(
        max_length=20, choices=ImpactLevel.choices, default=ImpactLevel.LOW
    )
    excess_alerts_per_day = models.FloatField(null=True, blank=True)
    installations_affected = models.PositiveIntegerField(null=True, blank=True)
    impact_rationale = models.TextField(blank=True)
    reporter_organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="reported_issues"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="created_issues"
    )
    # The DCC (or other) organisation asked to coordinate investigation: seed option 3(b)(iii).
    coordinator_organisation = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="coordinated_issues",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)
    # Optimistic locking: every write is UPDATE ... WHERE version = <the version the writer read>.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["state", "-published_at"]),
            models.Index(fields=["category"]),
        ]

    def __str__(self) -> str:
        return f"{self.human_id} {self.title}"

    @property
    def is_disputed(self) -> bool:
        return self.root_cause_status == RootCauseStatus.DISPUTED

    @property
    def is_withdrawn(self) -> bool:
        return self.state == IssueState.WITHDRAWN


class IssueCounter(models.Model):
    """The last number handed out for a year's human ids; locked while allocating the next."""

    year = models.PositiveIntegerField(primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


class AffectedProduct(models.Model):
    """A device version or a whole DMC touched by an issue; exactly one of the two is set."""

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="products")
    device_version = models.ForeignKey(
        "catalogue.DeviceVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="affected_by",
    )
    dmc = models.ForeignKey(
        "catalogue.DMC",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="affected_by",
    )
    status = models.CharField(
        max_length=30, choices=ProductStatus.choices, default=ProductStatus.UNDER_INVESTIGATION
    )
    first_fixed_firmware = models.CharField(max_length=8, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(device_version__isnull=False) & Q(dmc__isnull=True))
                | (Q(device_version__isnull=True) & Q(dmc__isnull=False)),
                name="affected_product_one_target",
            ),
        ]
        indexes = [models.Index(fields=["device_version", "issue"])]

    def __str__(self) -> str:
        return f"{self.issue_id}: {self.device_version or self.dmc} ({self.status})"


class ImmutableRowError(Exception):
    """Raised when code tries to change or delete a row the register keeps forever."""


class Statement(models.Model):
    """A statement by an organisation. Never changed once saved: newer ones supersede it."""

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="statements")
    kind = models.CharField(max_length=30, choices=StatementKind.choices)
    text = models.TextField()
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="statements"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="statements"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    supersedes = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="superseded_by"
    )
    challenges = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="challenged_by"
    )

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.organisation} on {self.issue_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableRowError("statements are immutable; add a superseding statement")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ImmutableRowError("statements are never deleted; supersede or challenge them")


class Involvement(models.Model):
    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="involvements")
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="involvements"
    )
    role = models.CharField(max_length=30, choices=InvolvementRole.choices)
    status = models.CharField(
        max_length=30, choices=InvolvementStatus.choices, default=InvolvementStatus.NOT_CONTACTED
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["role", "organisation__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["issue", "organisation", "role"], name="unique_involvement"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation} as {self.role}: {self.status}"


class StateChange(models.Model):
    """One workflow step taken: the issue's timeline. `transition` names the workflow entry."""

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="state_changes")
    transition = models.CharField(max_length=40)
    from_state = models.CharField(max_length=30, choices=IssueState.choices, blank=True)
    to_state = models.CharField(max_length=30, choices=IssueState.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="state_changes"
    )
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.issue_id}: {self.from_state} -> {self.to_state} ({self.transition})"


class ThresholdPolicy(models.Model):
    """The Panel's publication threshold. Versions are never edited; exactly one is in force."""

    version = models.PositiveIntegerField(unique=True)
    minimum_evidence_level = models.CharField(max_length=20, choices=EvidenceLevel.choices)
    minimum_impact_level = models.CharField(max_length=20, choices=ImpactLevel.choices)
    notice_period_business_days = models.PositiveIntegerField()
    second_approver_required = models.BooleanField(default=True)
    # The lowest tracker certainty a finding needs to appear in a tracker edition for Parties.
    minimum_tracker_grade = models.CharField(
        max_length=20, choices=TrackerGrade.choices, default=TrackerGrade.CORROBORATED
    )
    in_force = models.BooleanField(default=False)
    note = models.TextField(blank=True, help_text="Why this version was made")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-version"]
        verbose_name_plural = "threshold policies"
        constraints = [
            models.UniqueConstraint(
                fields=["in_force"], condition=Q(in_force=True), name="one_policy_in_force"
            )
        ]

    def __str__(self) -> str:
        return f"Threshold policy v{self.version}{' (in force)' if self.in_force else ''}"


class ManufacturerNotice(models.Model):
    """The notice an organisation speaking for a manufacturer got; shown in the app as sent."""

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="notices")
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="manufacturer_notices"
    )
    subject = models.CharField(max_length=250)
    body = models.TextField()
    recipients = models.JSONField(default=list)
    sent_at = models.DateTimeField()
    # The last day (inclusive) of the notice period.
    respond_by = models.DateField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-sent_at", "-id"]

    def __str__(self) -> str:
        return f"Notice to {self.organisation} on {self.issue_id}, respond by {self.respond_by}"


class PublicationStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    APPROVED = "approved", "Approved"
    CANCELLED = "cancelled", "Cancelled"


class Publication(models.Model):
    """A proposal to publish and, once a second administrator approves, the publication record.

    `policy` and `snapshot` are filled at approval: the policy version in force and the evidence,
    impact, root-cause status and statements the decision rested on.
    """

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="publications")
    status = models.CharField(
        max_length=20, choices=PublicationStatus.choices, default=PublicationStatus.PROPOSED
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField()
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    policy = models.ForeignKey(
        ThresholdPolicy, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    snapshot = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-proposed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["issue"],
                condition=Q(status="proposed"),
                name="one_pending_publication_proposal",
            )
        ]

    def __str__(self) -> str:
        return f"Publication of {self.issue_id}: {self.status}"


# The contract's other name for the same record.
PublicationProposal = Publication


class ProhibitedPhrase(models.Model):
    """A phrase that asserts responsibility or non-compliance; see kir.register.language."""

    phrase = models.CharField(
        max_length=100,
        unique=True,
        help_text="Matched case-insensitively on word boundaries; a trailing * matches any ending",
    )
    active = models.BooleanField(default=True)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["phrase"]

    def __str__(self) -> str:
        return self.phrase


class LanguageOverride(models.Model):
    """An administrator's recorded decision to publish a text despite a language-check hit.

    Bound to the exact text (`text_sha256`): rewording the field needs a fresh decision.
    """

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="language_overrides")
    # "title", "summary", "description" or "statement:<id>".
    field = models.CharField(max_length=40)
    phrase = models.CharField(max_length=200)
    text_sha256 = models.CharField(max_length=64)
    justification = models.TextField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Override of {self.phrase!r} in {self.field} of {self.issue_id}"


class Evidence(models.Model):
    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="evidence")
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="evidence"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    file = models.FileField(upload_to="evidence/%Y/%m/")
    description = models.CharField(max_length=300)
    # Device or installation ids inside: only the uploading supplier, DCC and SECAS may see it.
    installation_level = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "evidence"

    def __str__(self) -> str:
        return f"{self.description} ({self.issue_id})"
