"""A run's report as rows: findings, their components, DMCs and supplier views, in one bulk write
per table (called inside the transaction that sets the run's final status)."""

from __future__ import annotations

from datetime import date
from typing import Any

from kir.catalogue.models import DMC, DeviceVersion, Manufacturer
from kir.tracker.engine.disclosure import SUPPRESSED_FIELDS, apply_disclosure
from kir.tracker.models import (
    FindingComponent,
    FindingDmc,
    FindingSupplierView,
    SupplierCode,
    TrackerFinding,
    TrackerRun,
    finding_key,
)

# Contract fields (every one disclosure control may hide) copied to a column of the same name.
_DAYS = ("first_seen", "last_seen", "onset")
COLUMNS = tuple(
    name
    for name in SUPPRESSED_FIELDS
    if name not in _DAYS and name in {f.name for f in TrackerFinding._meta.concrete_fields}
)
BATCH = 500


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _finding_row(run: TrackerRun, position: int, f: dict[str, Any], reason: str | None) -> Any:
    aggregate = {k: v for k, v in f.items() if k != "devices"}
    parties = apply_disclosure(aggregate, audience="parties", reason=reason, drilldown=None)
    ci = f.get("rate_ratio_ci") or [None, None]
    return TrackerFinding(
        run=run,
        position=position,
        key=finding_key(f["region"], f["alert_code"], f["components"]),
        region=f["region"],
        alert_code=f["alert_code"],
        alert_description=(f.get("alert_description") or "")[:300],
        certainty=f["certainty"],
        attribution=f["attribution"],
        components=f["components"],
        dmcs=f["dmcs"],
        **{name: f.get(name) for name in COLUMNS},
        rate_ratio_ci_low=ci[0],
        rate_ratio_ci_high=ci[1],
        **{name: _day(f.get(name)) for name in _DAYS},
        region_specific=bool(f.get("region_specific")),
        found_in_regions=f.get("found_in_regions") or [],
        devices=f.get("devices") or [],
        parties_suppressed=parties["suppressed"],
        parties_suppression_reason=parties.get("suppression_reason") or "",
        parties_view=parties,
    )


class CatalogueMatch:
    """The catalogue rows a run's components and DMCs name, read in three queries."""

    def __init__(self, findings: list[dict[str, Any]]) -> None:
        parts = {
            (c["manufacturer"].upper(), c["model"].upper(), c["firmware_version"].upper())
            for f in findings
            for c in f["components"]
        }
        makers = {p[0] for p in parts}
        self.manufacturers = {
            m.identifier.upper(): m for m in Manufacturer.objects.filter(identifier__in=makers)
        }
        self.versions: dict[tuple[str, str, str], DeviceVersion] = {}
        rows = DeviceVersion.objects.filter(
            device_model__manufacturer__identifier__in=makers,
            device_model__model_id__in={p[1] for p in parts},
        ).select_related("device_model__manufacturer")
        for version in rows.order_by("id"):
            model = version.device_model
            key = (
                model.manufacturer.identifier.upper(),
                model.model_id.upper(),
                version.firmware_version.upper(),
            )
            self.versions.setdefault(key, version)
        identifiers = {d for f in findings for d in f["dmcs"]}
        self.dmcs = {d.identifier: d for d in DMC.objects.filter(identifier__in=identifiers)}

    def component(self, finding: TrackerFinding, c: dict[str, Any]) -> FindingComponent:
        maker, model, firmware = (
            c["manufacturer"].upper(),
            c["model"].upper(),
            c["firmware_version"].upper(),
        )
        return FindingComponent(
            finding=finding,
            device_type=c["device_type"],
            manufacturer=maker,
            model=model,
            firmware_version=firmware,
            catalogue_manufacturer=self.manufacturers.get(maker),
            device_version=self.versions.get((maker, model, firmware)),
        )


def store_findings(run: TrackerRun, findings: list[dict[str, Any]], views: dict[str, Any]) -> int:
    """Write the findings of `run` (the dcc report's) with everything hanging off them. `views`
    is the engine's "views" section: parties' suppression reasons, suppliers' own devices."""
    reasons = views.get("suppression_reasons") or [None] * len(findings)
    rows = TrackerFinding.objects.bulk_create(
        [_finding_row(run, i, f, reasons[i]) for i, f in enumerate(findings)], batch_size=BATCH
    )
    match = CatalogueMatch(findings)
    FindingComponent.objects.bulk_create(
        [
            match.component(row, c)
            for row, f in zip(rows, findings, strict=True)
            for c in f["components"]
        ],
        batch_size=BATCH,
    )
    FindingDmc.objects.bulk_create(
        [
            FindingDmc(finding=row, identifier=d, dmc=match.dmcs.get(d))
            for row, f in zip(rows, findings, strict=True)
            for d in f["dmcs"]
        ],
        batch_size=BATCH,
    )
    FindingSupplierView.objects.bulk_create(
        _supplier_views(rows, findings, views.get("supplier_devices") or {}, reasons),
        batch_size=BATCH,
    )
    return len(rows)


def _supplier_views(
    rows: list[TrackerFinding],
    findings: list[dict[str, Any]],
    devices: dict[str, list[list[dict[str, Any]]]],
    reasons: list[str | None],
) -> list[FindingSupplierView]:
    """For each supplier with installations in a finding: the finding as the engine shows it to
    that supplier (parties' aggregates, with its own devices)."""
    owners = dict(SupplierCode.objects.filter(code__in=devices).values_list("code", "organisation"))
    views = []
    for code, per_finding in devices.items():
        if code not in owners:
            continue
        for index, own in enumerate(per_finding):
            if not own:
                continue
            aggregate = {k: v for k, v in findings[index].items() if k != "devices"}
            shown = apply_disclosure(
                aggregate, audience="parties", reason=reasons[index], drilldown=own
            )
            views.append(
                FindingSupplierView(
                    finding=rows[index],
                    organisation_id=owners[code],
                    supplier_code=code,
                    drilldown=shown,
                )
            )
    return views
