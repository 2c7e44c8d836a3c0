"""A small tracker world for edition, page and issue tests: organisations, catalogue parts, and
a succeeded run whose findings are rows as the store writes them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from kir.accounts.models import PartyCategory, Role, User
from kir.catalogue.models import DeviceType, DeviceVersion
from kir.tracker.models import (
    FindingComponent,
    FindingDmc,
    RunSource,
    RunStatus,
    TrackerFinding,
    TrackerRun,
    finding_key,
)
from tests.factories import (
    DeviceModelFactory,
    DeviceVersionFactory,
    DMCFactory,
    ManufacturerFactory,
    OrganisationFactory,
    UserFactory,
)


def daily(days: int, *, start: date = date(2026, 11, 1), sup: int = 40, affected: int = 6):
    return [
        {
            "day": (start + timedelta(days=i)).isoformat(),
            "alerts": 100 + sup,
            "superfluous_alerts": sup + i,
            "affected_installations": affected,
            "baseline_rate_per_installation_day": 0.02,
            "shows": True,
        }
        for i in range(days)
    ]


@dataclass
class TrackerCast:
    users: dict[str, User]
    hub: DeviceVersion
    meter: DeviceVersion
    runs: list[TrackerRun] = field(default_factory=list)

    def __getattr__(self, name: str) -> User:
        try:
            return self.users[name]
        except KeyError:
            raise AttributeError(name) from None

    def run(self, findings: list[dict[str, Any]], *, day: date = date(2026, 11, 14)) -> TrackerRun:
        run = TrackerRun.objects.create(
            source=RunSource.CLI,
            status=RunStatus.SUCCEEDED,
            inventory_path="inventory.csv",
            rules_sha256="ab" * 32,
            engine_version="kir test",
            window_from=day - timedelta(days=13),
            window_to=day,
            window_days=14,
            findings_count=len(findings),
        )
        for position, spec in enumerate(findings):
            self.finding(run, position, **spec)
        self.runs.append(run)
        return run

    def finding(
        self,
        run: TrackerRun,
        position: int,
        *,
        parts: list[DeviceVersion | tuple[str, str, str, str]],
        certainty: str = "established",
        region: str = "north",
        code: str = "8F35",
        excess: float = 120.0,
        days: int = 14,
        dmcs: list[str] = (),
    ) -> TrackerFinding:
        components = [_component(p) for p in parts]
        finding = TrackerFinding.objects.create(
            run=run,
            position=position,
            key=finding_key(region, code, components),
            region=region,
            alert_code=code,
            alert_description="Supply Outage Restored",
            certainty=certainty,
            attribution="component",
            components=components,
            dmcs=list(dmcs),
            installations=200,
            affected_installations=40,
            alerts=9000,
            superfluous_alerts=7000,
            rate_per_installation_day=2.5,
            baseline_rate_per_installation_day=0.02,
            rate_ratio=12.0,
            rate_ratio_ci_low=9.0,
            rate_ratio_ci_high=15.0,
            q_value=0.0001,
            prevalence=0.2,
            persistence=0.9,
            excess_alerts_per_day=excess,
            share_of_region_traffic=0.01,
            first_seen=run.window_from,
            last_seen=run.window_to,
            daily=daily(days, start=run.window_from),
        )
        # As the store writes it: the engine's figures, nothing suppressed, no devices.
        finding.parties_view = {
            "suppressed": False,
            "daily": finding.daily,
            **{name: getattr(finding, name) for name in _SHOWN},
        }
        finding.save(update_fields=["parties_view"])
        for part, c in zip(parts, components, strict=True):
            version = part if isinstance(part, DeviceVersion) else None
            FindingComponent.objects.create(
                finding=finding,
                catalogue_manufacturer=version.device_model.manufacturer if version else None,
                device_version=version,
                **c,
            )
        FindingDmc.objects.bulk_create(FindingDmc(finding=finding, identifier=d) for d in dmcs)
        return finding


_SHOWN = (
    "installations",
    "affected_installations",
    "excess_alerts_per_day",
    "prevalence",
    "persistence",
    "rate_ratio",
)


def _component(part: DeviceVersion | tuple[str, str, str, str]) -> dict[str, str]:
    if isinstance(part, DeviceVersion):
        model = part.device_model
        return {
            "device_type": model.device_type,
            "manufacturer": model.manufacturer.identifier,
            "model": model.model_id,
            "firmware_version": part.firmware_version,
        }
    device_type, manufacturer, model, firmware = part
    return {
        "device_type": device_type,
        "manufacturer": manufacturer,
        "model": model,
        "firmware_version": firmware,
    }


def tracker_cast() -> TrackerCast:
    secas = OrganisationFactory(name="SECAS", category=PartyCategory.SECAS)
    dcc = OrganisationFactory(name="DCC", category=PartyCategory.DCC)
    hubline = OrganisationFactory(name="Hubline", category=PartyCategory.MANUFACTURER)
    meterix = OrganisationFactory(name="Meterix", category=PartyCategory.MANUFACTURER)
    supplier = OrganisationFactory(name="Brightwater", category=PartyCategory.LARGE_SUPPLIER)
    users = {
        "admin_a": UserFactory(username="admin-a", organisation=secas, role=Role.ADMINISTRATOR),
        "admin_b": UserFactory(username="admin-b", organisation=secas, role=Role.ADMINISTRATOR),
        "dcc": UserFactory(username="dcc-coord", organisation=dcc, role=Role.COORDINATOR),
        "hubline": UserFactory(username="hubline-c", organisation=hubline, role=Role.CONTRIBUTOR),
        "meterix": UserFactory(username="meterix-c", organisation=meterix, role=Role.CONTRIBUTOR),
        "supplier": UserFactory(username="bw-viewer", organisation=supplier, role=Role.VIEWER),
    }
    hub_maker = ManufacturerFactory(identifier="00B1", name="Hubline", organisation=hubline)
    meter_maker = ManufacturerFactory(identifier="00A1", name="Meterix", organisation=meterix)
    hub = DeviceVersionFactory(
        device_model=DeviceModelFactory(
            manufacturer=hub_maker, device_type=DeviceType.CHF, name="HubOne", model_id="0000B001"
        ),
        firmware_version="00010300",
    )
    meter = DeviceVersionFactory(
        device_model=DeviceModelFactory(
            manufacturer=meter_maker, name="Meterix E1", model_id="0000A001"
        ),
        firmware_version="00040200",
    )
    DMCFactory(identifier="DMC-00000000A1B2", members=[hub, meter])
    return TrackerCast(users, hub, meter)
