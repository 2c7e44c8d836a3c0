"""Creating and editing issues: human ids, validated fields, affected products, optimistic locks."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from kir.accounts.models import Organisation, User
from kir.accounts.permissions import Permission
from kir.audit.changes import changed_fields
from kir.audit.events import AuditEventType
from kir.audit.services import audit_record
from kir.catalogue.models import DMC, DeviceVersion, Region
from kir.identifiers import IdentifierError, normalise_firmware_version
from kir.notify.webhooks.events import webhook_events_enqueue
from kir.outbox.services import outbox_enqueue
from kir.register.errors import PermissionRefused, ValidationFailed
from kir.register.models import (
    MAX_COUNT,
    TEXT_LIMITS,
    AffectedProduct,
    Category,
    EvidenceLevel,
    ImpactLevel,
    InvolvementRole,
    InvolvementStatus,
    Issue,
    IssueCounter,
    IssueState,
    ProductStatus,
    RootCauseStatus,
    StateChange,
)
from kir.register.services._common import reindex, require_member, set_involvement, write_issue
from kir.register.services.language import record_overrides_for, refuse_unneutral_public_text
from kir.register.workflow import PUBLIC_STATES, user_can_edit

TEXT_FIELDS = ("title", "summary", "description", "impact_rationale")
EDITABLE_FIELDS = frozenset(
    {
        *TEXT_FIELDS,
        "category",
        "regions",
        "evidence_level",
        "root_cause_status",
        "impact_level",
        "excess_alerts_per_day",
        "installations_affected",
    }
)
_CHOICES: dict[str, Any] = {
    "category": Category,
    "evidence_level": EvidenceLevel,
    "root_cause_status": RootCauseStatus,
    "impact_level": ImpactLevel,
}
# Text that appears in search results: changing it rebuilds the issue's search document.
SEARCHABLE = frozenset({"title", "summary", "description", "products"})


def allocate_human_id(year: int) -> str:
    """The next KIR-<year>-NNNN. The year's counter row is locked until the transaction ends, so
    two concurrent creators never get the same number (and a rolled-back one frees nothing)."""
    IssueCounter.objects.bulk_create([IssueCounter(year=year)], ignore_conflicts=True)
    counter = IssueCounter.objects.select_for_update().get(year=year)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return f"KIR-{year}-{counter.last_number:04d}"


def _field_errors(values: Mapping[str, Any]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for name in ("title", "summary"):
        if name in values and not str(values[name] or "").strip():
            errors[name] = ["This field is required."]
    for name, limit in TEXT_LIMITS.items():
        if len(str(values.get(name) or "")) > limit:
            errors[name] = [f"At most {limit} characters."]
    for name, choices in _CHOICES.items():
        if name in values and values[name] not in choices.values:
            errors[name] = [f"Expected one of {', '.join(choices.values)}."]
    if "regions" in values:
        regions = values["regions"]
        if not isinstance(regions, list | tuple) or any(r not in Region.values for r in regions):
            errors["regions"] = [f"Expected a list of {', '.join(Region.values)}."]
    for name in ("excess_alerts_per_day", "installations_affected"):
        value = values.get(name)
        if value is not None and (not isinstance(value, int | float) or value < 0):
            errors[name] = ["Expected a number that is not negative, or nothing."]
        elif name == "installations_affected" and value is not None and value > MAX_COUNT:
            errors[name] = [f"At most {MAX_COUNT}."]
    return errors


def _resolve(model: type, value: Any, label: str) -> Any:
    if value is None or isinstance(value, model):
        return value
    found = model.objects.filter(pk=value).first()  # type: ignore[attr-defined]
    if found is None:
        raise ValidationFailed({"products": [f"{label} {value!r} is not in the catalogue."]})
    return found


def _build_products(issue: Issue, products: Iterable[Mapping[str, Any]]) -> list[AffectedProduct]:
    built = []
    for number, item in enumerate(products, start=1):
        version = _resolve(DeviceVersion, item.get("device_version"), "Device version")
        dmc = _resolve(DMC, item.get("dmc"), "DMC")
        status = item.get("status") or ProductStatus.UNDER_INVESTIGATION
        problems = []
        if (version is None) == (dmc is None):
            problems.append(f"product {number}: name a device version or a DMC (exactly one).")
        if status not in ProductStatus.values:
            problems.append(f"product {number}: status must be one of {ProductStatus.values}.")
        fixed = item.get("first_fixed_firmware") or ""
        try:
            fixed = normalise_firmware_version(fixed) if fixed else ""
        except IdentifierError as error:
            problems.append(f"product {number}: first fixed firmware: {error}")
        if problems:
            raise ValidationFailed({"products": problems})
        built.append(
            AffectedProduct(
                issue=issue,
                device_version=version,
                dmc=dmc,
                status=status,
                first_fixed_firmware=fixed,
            )
        )
    return built


def _replace_products(issue: Issue, products: Iterable[Mapping[str, Any]]) -> list[str]:
    built = _build_products(issue, products)
    AffectedProduct.objects.filter(issue=issue).delete()
    AffectedProduct.objects.bulk_create(built)
    return [str(p.device_version or p.dmc) for p in built]


def _fixed_firmwares(issue: Issue) -> set[tuple[int | None, str]]:
    return set(
        AffectedProduct.objects.filter(issue=issue)
        .exclude(first_fixed_firmware="")
        .values_list("device_version_id", "first_fixed_firmware")
    )


def _queue_fix_checks(issue: Issue) -> None:
    """A first fixed firmware changed: the tracker's worker recomputes "fix verified by telemetry"
    for an issue raised from a finding. Queued by kind name: the tracker app depends on the
    register, never the other way (kir.tracker.fix_check_jobs handles the kind)."""
    if issue.tracker_links.exists():
        outbox_enqueue(
            kind="tracker_fix_checks",
            key=f"tracker_fix_checks:{issue.pk}:v{issue.version}",
            payload={"issue": issue.pk},
        )


@transaction.atomic
def issue_create_draft(
    *,
    actor: User,
    title: str,
    summary: str,
    category: str,
    description: str = "",
    regions: list[str] | None = None,
    products: list[dict[str, Any]] | None = None,
    evidence_level: str = EvidenceLevel.REPORTED,
    impact_level: str = ImpactLevel.LOW,
    root_cause_status: str = RootCauseStatus.UNKNOWN,
    excess_alerts_per_day: float | None = None,
    installations_affected: int | None = None,
    impact_rationale: str = "",
) -> Issue:
    """A new draft reported by the actor's organisation, which becomes its reporter."""
    organisation = require_member(actor, Permission.REPORT_ISSUE, "report issues")
    fields = {
        "title": title.strip(),
        "summary": summary.strip(),
        "description": description,
        "category": category,
        "regions": list(regions or []),
        "evidence_level": evidence_level,
        "impact_level": impact_level,
        "root_cause_status": root_cause_status,
        "excess_alerts_per_day": excess_alerts_per_day,
        "installations_affected": installations_affected,
        "impact_rationale": impact_rationale,
    }
    errors = _field_errors(fields)
    if errors:
        raise ValidationFailed(errors)
    return _create(actor, organisation, fields, products or [])


def _create(
    actor: User, organisation: Organisation, fields: dict[str, Any], products: list[dict[str, Any]]
) -> Issue:
    human_id = allocate_human_id(timezone.localdate().year)
    issue = Issue.objects.create(
        human_id=human_id, reporter_organisation=organisation, created_by=actor, **fields
    )
    product_names = _replace_products(issue, products)
    set_involvement(issue, organisation, InvolvementRole.REPORTER, InvolvementStatus.OPEN)
    StateChange.objects.create(
        issue=issue, transition="create", from_state="", to_state=IssueState.DRAFT, actor=actor
    )
    audit_record(
        actor=actor,
        verb=AuditEventType.ISSUE_CREATED,
        target=issue,
        data={"human_id": human_id, "title": issue.title, "products": product_names},
    )
    reindex(issue)
    return issue


def _diff(issue: Issue, changes: Mapping[str, Any]) -> dict[str, list[Any]]:
    fields = {name: value for name, value in changes.items() if name != "products"}
    return {name: [old, new] for name, (old, new) in changed_fields(issue, fields).items()}


@transaction.atomic
def issue_update(
    *,
    issue: Issue,
    actor: User,
    expected_version: int,
    language_justification: str = "",
    **changes: Any,
) -> Issue:
    """Change fields (and, with `products=[...]`, the affected products) of the issue.

    Refused with VersionConflict when the issue is no longer at `expected_version`. On a
    published issue, changed text must pass the neutral-language check, or carry an
    administrator's `language_justification` (recorded as an override).
    """
    unknown = set(changes) - EDITABLE_FIELDS - {"products"}
    if unknown:
        raise ValidationFailed(
            {name: ["This field cannot be changed."] for name in sorted(unknown)}
        )
    if not user_can_edit(user=actor, issue=issue):
        raise PermissionRefused(
            f"Your role or organisation may not edit a {issue.get_state_display().lower()} issue."
        )
    errors = _field_errors(changes)
    if errors:
        raise ValidationFailed(errors)
    diff = _diff(issue, changes)
    changed_text = {
        name: diff[name][1] for name in diff if name in ("title", "summary", "description")
    }
    if issue.state in PUBLIC_STATES and changed_text:
        refuse_unneutral_public_text(issue, actor, changed_text, language_justification)
    fields = {name: changes[name] for name in diff}
    issue = write_issue(issue, expected_version=expected_version, **fields)
    if "products" in changes:
        fixed_before = _fixed_firmwares(issue)
        diff["products"] = [None, _replace_products(issue, changes["products"])]
        if _fixed_firmwares(issue) != fixed_before:
            _queue_fix_checks(issue)
    if issue.state in PUBLIC_STATES and changed_text and language_justification:
        record_overrides_for(issue, actor, changed_text, language_justification)
    audit_record(
        actor=actor,
        verb=AuditEventType.ISSUE_UPDATED,
        target=issue,
        data={"version": issue.version, "changes": diff},
    )
    if SEARCHABLE & set(diff):
        reindex(issue)
    if issue.state in PUBLIC_STATES and diff:
        webhook_events_enqueue(event="issue.updated", issue=issue, data={"changed": sorted(diff)})
    return issue
