"""The tracker as data: runs of the engine, their findings as rows, and editions for Parties.

A run is queued by kir.tracker.services and executed by the outbox worker (never in a request);
its findings are written in one bulk write with the run's final status. Reads that depend on who
asks go through kir.tracker.selectors (the audience rule lives there, once).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.db import models


class RunSource(models.TextChoices):
    UPLOAD = "upload", "Uploaded files"
    STATE = "state", "Kept daily state"
    CLI = "cli", "Command line"
    DAILY = "daily", "Daily schedule"


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class Certainty(models.TextChoices):
    """The engine's grades, strongest first (docs/tracker.md)."""

    ESTABLISHED = "established", "Established"
    CORROBORATED = "corroborated", "Corroborated"
    INDICATIVE = "indicative", "Indicative"

    @classmethod
    def at_least(cls, grade: str) -> list[str]:
        """The grades at or above `grade`."""
        values = list(cls.values)
        return values[: values.index(grade) + 1]


class TrackerRun(models.Model):
    """One execution of the engine: its inputs, how it went, and (when it succeeded) its report.

    Uploaded inputs are kept under KIR_VAR_DIR/tracker/runs/<id>/; `inventory_path` and
    `alert_paths` name the files the engine read (or the CLI's own paths), `state_dir` the kept
    daily state instead of alert files. `report` is the engine's JSON for the dcc audience.
    """

    source = models.CharField(max_length=10, choices=RunSource.choices)
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    # Null for the command line and the daily schedule.
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    job = models.ForeignKey(
        "outbox.Job", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    inventory_path = models.CharField(max_length=1000)
    alert_paths = models.JSONField(default=list, blank=True)
    state_dir = models.CharField(max_length=1000, blank=True)
    # What was given: [{"role": "inventory"|"alerts", "name", "path", "bytes", "sha256"}].
    input_files = models.JSONField(default=list, blank=True)
    day_from = models.DateField(null=True, blank=True, help_text="requested window start")
    day_to = models.DateField(null=True, blank=True, help_text="requested window end")
    window_from = models.DateField(null=True, blank=True, help_text="analysed window start")
    window_to = models.DateField(null=True, blank=True, help_text="analysed window end")
    window_days = models.PositiveIntegerField(null=True, blank=True)
    rules_text = models.TextField(blank=True, help_text="the rules file (empty: the defaults)")
    rules_path = models.CharField(max_length=1000, blank=True)
    rules_sha256 = models.CharField(max_length=64)
    engine_version = models.CharField(max_length=40)
    stage = models.CharField(max_length=200, blank=True, help_text="the engine's last progress")
    progress = models.FloatField(default=0.0, help_text="0 to 1")
    error = models.TextField(blank=True)
    timings = models.JSONField(default=dict, blank=True)
    # The report's "inputs" section: devices, installations, DMCs, messages, alerts, rejects...
    input_counts = models.JSONField(default=dict, blank=True)
    rejected_rows = models.PositiveIntegerField(default=0)
    unknown_devices = models.PositiveIntegerField(default=0)
    unknown_device_alerts = models.PositiveBigIntegerField(default=0)
    findings_count = models.PositiveIntegerField(default=0)
    report = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "-created_at"], name="tracker_run_status"),
        ]

    def __str__(self) -> str:
        return f"Tracker run {self.pk} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (RunStatus.SUCCEEDED, RunStatus.FAILED)


def finding_key(region: str, alert_code: str, components: Iterable[Mapping[str, Any]]) -> str:
    """The same problem in another run has the same key: region, code and the sorted components
    (device type, manufacturer, model, firmware), whatever the run or the figures."""
    parts = sorted(
        "/".join(
            str(c[k]).upper() for k in ("device_type", "manufacturer", "model", "firmware_version")
        )
        for c in components
    )
    text = "|".join([region.lower(), alert_code.upper(), *parts])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class TrackerFinding(models.Model):
    """One finding of one run, as the dcc audience sees it, with the parties view beside it."""

    run = models.ForeignKey(TrackerRun, on_delete=models.CASCADE, related_name="findings")
    position = models.PositiveIntegerField(help_text="rank in the run's report, from 0")
    key = models.CharField(max_length=64, help_text="finding_key: stable across runs")
    region = models.CharField(max_length=20)
    alert_code = models.CharField(max_length=8)
    alert_description = models.CharField(max_length=300, blank=True)
    certainty = models.CharField(max_length=20, choices=Certainty.choices)
    attribution = models.CharField(max_length=20)
    components = models.JSONField(default=list)
    dmcs = models.JSONField(default=list, help_text="DMC identifiers, as the engine gives them")
    installations = models.PositiveIntegerField(null=True)
    affected_installations = models.PositiveIntegerField(null=True)
    alerts = models.PositiveBigIntegerField(null=True)
    superfluous_alerts = models.PositiveBigIntegerField(null=True)
    rate_per_installation_day = models.FloatField(null=True)
    baseline_rate_per_installation_day = models.FloatField(null=True)
    rate_ratio = models.FloatField(null=True)
    raw_rate_ratio = models.FloatField(null=True)
    rate_ratio_ci_low = models.FloatField(null=True)
    rate_ratio_ci_high = models.FloatField(null=True)
    p_value = models.FloatField(null=True)
    q_value = models.FloatField(null=True)
    prevalence = models.FloatField(null=True)
    baseline_prevalence = models.FloatField(null=True)
    persistence = models.FloatField(null=True)
    excess_alerts_per_day = models.FloatField(null=True)
    share_of_region_traffic = models.FloatField(null=True)
    largest_installation_share = models.FloatField(null=True)
    first_seen = models.DateField(null=True)
    last_seen = models.DateField(null=True)
    onset = models.DateField(null=True)
    region_specific = models.BooleanField(default=False)
    found_in_regions = models.JSONField(default=list)
    natural_variation = models.JSONField(default=dict)
    homogeneity = models.JSONField(default=dict)
    # [{"day", "alerts", "superfluous_alerts", "affected_installations",
    #   "baseline_rate_per_installation_day", "shows"}], one per day of the run's window.
    daily = models.JSONField(default=list)
    # DCC's device-level drill-down (the engine's, limited to the rules' drilldown_limit).
    devices = models.JSONField(default=list)
    # The parties audience: exactly the engine's apply_disclosure output for "parties".
    parties_suppressed = models.BooleanField(default=False)
    parties_suppression_reason = models.CharField(max_length=200, blank=True)
    parties_view = models.JSONField(default=dict)

    class Meta:
        ordering = ["run", "position"]
        constraints = [
            models.UniqueConstraint(fields=["run", "position"], name="tracker_finding_position"),
        ]
        indexes = [
            models.Index(fields=["key", "run"], name="tracker_finding_key"),
            models.Index(fields=["run", "region", "alert_code"], name="tracker_finding_cell"),
            models.Index(fields=["run", "-excess_alerts_per_day"], name="tracker_finding_rank"),
        ]

    def __str__(self) -> str:
        return f"{self.region} {self.alert_code} ({self.certainty}) in run {self.run_id}"


class FindingComponent(models.Model):
    """One component a finding is attributed to, as rows so manufacturer/model filters are SQL."""

    finding = models.ForeignKey(TrackerFinding, on_delete=models.CASCADE, related_name="parts")
    device_type = models.CharField(max_length=8)
    manufacturer = models.CharField(max_length=4, help_text="GBCS manufacturer id, 4 hex")
    model = models.CharField(max_length=8, help_text="GBCS model id, 8 hex")
    firmware_version = models.CharField(max_length=8)
    # Filled when the catalogue knows the part (matched when the findings are stored).
    catalogue_manufacturer = models.ForeignKey(
        "catalogue.Manufacturer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tracker_components",
    )
    device_version = models.ForeignKey(
        "catalogue.DeviceVersion",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tracker_components",
    )

    class Meta:
        ordering = ["finding", "id"]
        indexes = [
            models.Index(fields=["manufacturer", "model"], name="tracker_component_model"),
        ]

    def __str__(self) -> str:
        return f"{self.device_type}/{self.manufacturer}/{self.model}/{self.firmware_version}"


class FindingDmc(models.Model):
    """One DMC a finding covers; `dmc` is the catalogue's when it knows the identifier."""

    finding = models.ForeignKey(TrackerFinding, on_delete=models.CASCADE, related_name="dmc_rows")
    identifier = models.CharField(max_length=40)
    dmc = models.ForeignKey(
        "catalogue.DMC",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tracker_findings",
    )

    class Meta:
        ordering = ["finding", "id"]
        indexes = [models.Index(fields=["identifier"], name="tracker_finding_dmc")]

    def __str__(self) -> str:
        return self.identifier


class SupplierCode(models.Model):
    """The supplier id the inventory's `supplier` column uses, for an organisation: how a run
    knows whose installations a drill-down row is."""

    code = models.CharField(max_length=40, unique=True)
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="tracker_supplier_codes"
    )

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} = {self.organisation_id}"


class FindingSupplierView(models.Model):
    """A supplier's drill-down of a finding: its own installations only, computed by the engine
    when the run was stored, so reads never run the engine."""

    finding = models.ForeignKey(
        TrackerFinding, on_delete=models.CASCADE, related_name="supplier_views"
    )
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    supplier_code = models.CharField(max_length=40)
    # The finding's figures as the supplier's audience may see them, with "devices" its own rows.
    drilldown = models.JSONField(default=dict)

    class Meta:
        ordering = ["finding", "organisation"]
        constraints = [
            models.UniqueConstraint(
                fields=["finding", "organisation", "supplier_code"],
                name="tracker_supplier_view_once",
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "finding"], name="tracker_supplier_view_org"),
        ]

    def __str__(self) -> str:
        return f"{self.supplier_code} view of finding {self.finding_id}"


class EditionStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PROPOSED = "proposed", "Proposed"
    PUBLISHED = "published", "Published"
    WITHDRAWN = "withdrawn", "Withdrawn"
    CANCELLED = "cancelled", "Cancelled"


class TrackerEdition(models.Model):
    """What Parties see: a run's findings at or above a grade, published by SECAS with a second
    administrator approving. Services and pages: kir.tracker editions (not defined here)."""

    run = models.ForeignKey(TrackerRun, on_delete=models.PROTECT, related_name="editions")
    number = models.PositiveIntegerField(unique=True)
    status = models.CharField(
        max_length=10, choices=EditionStatus.choices, default=EditionStatus.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    proposed_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # Who cancelled the proposal or withdrew the published edition, and why (shown on its page).
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    end_reason = models.TextField(blank=True)
    policy = models.ForeignKey(
        "register.ThresholdPolicy",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="the threshold policy version in force at publication",
    )
    grade = models.CharField(
        max_length=20, choices=Certainty.choices, help_text="lowest certainty included"
    )
    note = models.TextField(blank=True)
    findings = models.ManyToManyField(
        TrackerFinding, through="EditionFinding", related_name="editions"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        indexes = [
            models.Index(fields=["status", "-published_at"], name="tracker_edition_status"),
        ]

    def __str__(self) -> str:
        return f"Tracker edition {self.number} ({self.status})"


class EditionFinding(models.Model):
    edition = models.ForeignKey(TrackerEdition, on_delete=models.CASCADE, related_name="entries")
    finding = models.ForeignKey(
        TrackerFinding, on_delete=models.PROTECT, related_name="edition_entries"
    )

    class Meta:
        ordering = ["edition", "finding__position"]
        constraints = [
            models.UniqueConstraint(fields=["edition", "finding"], name="tracker_edition_finding"),
        ]

    def __str__(self) -> str:
        return f"finding {self.finding_id} in edition {self.edition_id}"


class ManufacturerFindingNotice(models.Model):
    """A manufacturer told, before the edition goes out, that its component appears in a
    finding for the first time (neutral wording: "correlated with")."""

    edition = models.ForeignKey(TrackerEdition, on_delete=models.CASCADE, related_name="notices")
    finding_key = models.CharField(max_length=64)
    finding = models.ForeignKey(
        TrackerFinding, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    job = models.ForeignKey(
        "outbox.Job", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["finding_key", "organisation"],
                name="tracker_notice_first_time_only",
            ),
        ]
        indexes = [models.Index(fields=["organisation", "-created_at"], name="tracker_notice_org")]

    def __str__(self) -> str:
        return f"notice of {self.finding_key[:12]} to {self.organisation_id}"


class ManufacturerFindingResponse(models.Model):
    """A manufacturer's response, shown beside the finding in every edition (by finding key)."""

    finding_key = models.CharField(max_length=64)
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    text = models.TextField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["finding_key", "created_at", "id"]
        indexes = [models.Index(fields=["finding_key", "created_at"], name="tracker_response_key")]

    def __str__(self) -> str:
        return f"response of {self.organisation_id} to {self.finding_key[:12]}"


class FindingIssueLink(models.Model):
    """A register issue raised from a finding; the issue page follows the finding by its key
    into later runs and editions."""

    finding_key = models.CharField(max_length=64)
    finding = models.ForeignKey(
        TrackerFinding, on_delete=models.PROTECT, related_name="issue_links"
    )
    issue = models.ForeignKey(
        "register.Issue", on_delete=models.CASCADE, related_name="tracker_links"
    )
    # Components and DMCs the catalogue does not know, listed for SECAS to resolve.
    unresolved = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["finding_key"], name="tracker_issue_link_key")]

    def __str__(self) -> str:
        return f"issue {self.issue_id} from finding {self.finding_id}"


class FixCheckResult(models.Model):
    """Fix verified by telemetry, as the worker last computed it for one (linked finding, affected
    product naming a first fixed firmware): pages and the API read these rows and never count
    installations themselves (kir.tracker.fix_check computes, kir.tracker.fix_check_jobs stores)."""

    issue = models.ForeignKey(
        "register.Issue", on_delete=models.CASCADE, related_name="tracker_fix_checks"
    )
    link = models.ForeignKey(FindingIssueLink, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveIntegerField(help_text="order on the issue's page, from 0")
    product = models.CharField(max_length=300)
    fixed_firmware = models.CharField(max_length=8)
    verdict = models.CharField(max_length=30)
    explanation = models.TextField()
    run = models.ForeignKey(
        TrackerRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    upgraded_installations = models.PositiveIntegerField(null=True, blank=True)
    affected_excess = models.FloatField(null=True, blank=True)
    fixed_excess = models.FloatField(null=True, blank=True)
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["issue", "position"]
        constraints = [
            models.UniqueConstraint(fields=["issue", "position"], name="tracker_fix_check_once"),
        ]

    def __str__(self) -> str:
        return f"{self.product} fixed in {self.fixed_firmware}: {self.verdict}"
