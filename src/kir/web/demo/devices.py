"""The demo catalogue: three manufacturers, 30 device versions over every device type, 20 DMCs.

Identifiers are GBCS-shaped (4-hex manufacturer, 8-hex model and firmware) but invented. The
versions go in through the CPL import service, exactly as a real CPL extract would.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from itertools import cycle

from kir.accounts.models import Organisation
from kir.catalogue.cpl import CplRow
from kir.catalogue.cpl_import import CplImportReport, cpl_import_rows
from kir.catalogue.models import DeviceVersion, Manufacturer, Region
from kir.catalogue.services import dmc_get_or_create, manufacturer_link_organisation


@dataclass(frozen=True)
class DemoModel:
    manufacturer_id: str
    model_id: str
    device_type: str
    name: str
    smets_version: str
    hardware_version: str
    # (firmware, listed_on, status, removed_on); the newest firmware comes last.
    firmware: tuple[tuple[str, str, str, str], ...]


MANUFACTURERS = {
    "10A5": ("Meterix Metering Ltd", "meterix"),
    "1D2F": ("Hubline Communications Ltd", "hubline"),
    "2C44": ("Homeview Devices Ltd", "homeview"),
}

_SMETS = "SMETS2 v4.2"
_CHTS = "CHTS v1.3"
_FW = tuple[tuple[str, str, str, str], ...]


def _fw(*entries: str) -> _FW:
    """'00020104 2022-03-01' listed; '... removed 2024-05-31'; '... withdrawn'; '... pending'."""
    out = []
    for entry in entries:
        parts = entry.split()
        status = parts[2] if len(parts) > 2 else "listed"
        out.append((parts[0], parts[1], status, parts[3] if len(parts) > 3 else ""))
    return tuple(out)


MODELS = (
    DemoModel("10A5", "0001A2F3", "ESME", "Meterix E470 Single Phase", _SMETS, "0102", _fw(
        "00020104 2021-09-06 removed 2024-05-31", "00020200 2022-11-14", "00020301 2024-03-04")),
    DemoModel("10A5", "0001A2F8", "ESME", "Meterix E470 Twin Element", _SMETS, "0102", _fw(
        "00020200 2023-01-09")),
    DemoModel("10A5", "0001A310", "ESME", "Meterix E570 Polyphase", _SMETS, "0201", _fw(
        "00010500 2021-02-15 removed 2023-08-31", "00010602 2022-07-18", "00010700 2024-06-10")),
    DemoModel("10A5", "0002B140", "GSME", "Meterix G260 Diaphragm Gas", _SMETS, "0004", _fw(
        "00030007 2020-11-02 withdrawn 2022-01-20", "00030100 2021-12-06", "00030102 2023-10-02")),
    DemoModel("10A5", "0002B155", "GSME", "Meterix G300 Ultrasonic Gas", _SMETS, "0005", _fw(
        "00010003 2022-05-23", "00010100 2024-09-16 pending")),
    DemoModel("1D2F", "00C1B001", "CHF", "Hubline CH-N412 Comms Hub (North)", _CHTS, "0003", _fw(
        "01030000 2020-06-01 removed 2023-03-31", "01030200 2021-10-11", "01040001 2023-11-20")),
    DemoModel("1D2F", "00C1B002", "GPF", "Hubline CH-N412 Gas Proxy (North)", _CHTS, "0003", _fw(
        "01030000 2020-06-01 removed 2023-03-31", "01030200 2021-10-11", "01040001 2023-11-20")),
    DemoModel("1D2F", "00C2C001", "CHF", "Hubline CH-CS24 Comms Hub (Central/South)", _CHTS,
              "0011", _fw("02010004 2021-04-19", "02020000 2023-06-26")),
    DemoModel("1D2F", "00C2C002", "GPF", "Hubline CH-CS24 Gas Proxy (Central/South)", _CHTS,
              "0011", _fw("02010004 2021-04-19", "02020000 2023-06-26")),
    DemoModel("2C44", "00D10003", "IHD", "Homeview Glow 3 In-Home Display", _SMETS, "0001", _fw(
        "00050001 2021-01-11", "00050104 2023-02-13")),
    DemoModel("2C44", "00D10004", "IHD", "Homeview Glow 4 In-Home Display", _SMETS, "0002", _fw(
        "00010000 2024-04-22")),
    DemoModel("2C44", "00D20001", "CAD", "Homeview Link Consumer Access Device", _SMETS, "0001",
              _fw("00010002 2022-02-07", "00010100 2024-01-29")),
    DemoModel("2C44", "00D30001", "PPMID", "Homeview PayPoint Prepayment Interface", _SMETS,
              "0001", _fw("00020003 2021-05-24", "00020010 2023-09-04")),
    DemoModel("2C44", "00D40001", "HCALCS", "Homeview LoadSwitch 16A HCALCS", _SMETS, "0001",
              _fw("00010001 2022-08-15")),
)  # fmt: skip


def cpl_rows() -> list[CplRow]:
    rows: list[CplRow] = []
    for model in MODELS:
        for firmware, listed_on, status, removed_on in model.firmware:
            rows.append(
                CplRow(
                    row=len(rows) + 2,
                    cpl_entry_id=f"CPL-{7001 + len(rows)}",
                    manufacturer_id=model.manufacturer_id,
                    manufacturer_name=MANUFACTURERS[model.manufacturer_id][0],
                    model_id=model.model_id,
                    model_name=model.name,
                    device_type=model.device_type,
                    smets_version=model.smets_version,
                    hardware_version=model.hardware_version,
                    firmware_version=firmware,
                    cpl_status=status,
                    listed_on=date.fromisoformat(listed_on),
                    removed_on=date.fromisoformat(removed_on) if removed_on else None,
                )
            )
    return rows


def _versions(model_id: str) -> list[DeviceVersion]:
    return list(
        DeviceVersion.objects.filter(device_model__model_id=model_id)
        .select_related("device_model__manufacturer")
        .order_by("firmware_version")
    )


def _hubs() -> list[tuple[list[DeviceVersion], list[str]]]:
    """Comms hub + gas proxy pairs with the regions they serve: hubs are region-specific."""
    north = zip(_versions("00C1B001"), _versions("00C1B002"), strict=True)
    central_south = zip(_versions("00C2C001"), _versions("00C2C002"), strict=True)
    hubs = [([chf, gpf], [Region.NORTH.value]) for chf, gpf in north]
    for index, (chf, gpf) in enumerate(central_south):
        hubs.append(([chf, gpf], [Region.CENTRAL.value]))
        # The older hub firmware is installed in both regions: one combination, two regions.
        both = [Region.CENTRAL.value, Region.SOUTH.value]
        hubs.append(([chf, gpf], [Region.SOUTH.value] if index else both))
    return hubs


# What a person would call each model in a combination's name.
SHORT_NAMES = {
    "0001A2F3": "E470",
    "0001A2F8": "E470 Twin",
    "0001A310": "E570",
    "0002B140": "G260",
    "0002B155": "G300",
    "00C1B001": "CH-N412",
    "00C2C001": "CH-CS24",
    "00D10003": "Glow 3",
    "00D10004": "Glow 4",
    "00D20001": "Link CAD",
    "00D30001": "PayPoint",
    "00D40001": "LoadSwitch",
}


def combination_name(members: list[DeviceVersion]) -> str:
    """ "CH-N412 01040001 + E470 00020301 + G260 00030102 + Glow 3 00050104".

    The gas proxy is left out: it is part of the comms hub and carries the hub's firmware.
    """
    return " + ".join(
        f"{SHORT_NAMES[m.device_model.model_id]} {m.firmware_version}"
        for m in members
        if m.device_model.model_id in SHORT_NAMES
    )


def demo_combinations() -> list[tuple[list[DeviceVersion], list[str]]]:
    """Twenty premises-shaped combinations: a hub, an electricity meter, mostly gas, a display."""
    meters = cycle(_versions("0001A2F3") + _versions("0001A310") + _versions("0001A2F8"))
    gas = cycle([*_versions("0002B140"), None, *_versions("0002B155")])
    displays = cycle(_versions("00D10003") + _versions("00D10004") + _versions("00D30001"))
    hubs = cycle(_hubs())
    combinations = []
    for _ in range(20):
        hub, regions = next(hubs)
        gas_meter = next(gas)
        members = [*hub, next(meters)]
        if gas_meter is None:
            # Electricity-only premises do not use the gas proxy.
            members = [m for m in members if m.device_model.device_type != "GPF"]
        else:
            members.append(gas_meter)
        members.append(next(displays))
        combinations.append((members, regions))
    return combinations


def seed_catalogue() -> tuple[CplImportReport, int]:
    report = cpl_import_rows(rows=cpl_rows(), actor=None, source="kir demo seed")
    for identifier, (_, slug) in MANUFACTURERS.items():
        manufacturer_link_organisation(
            manufacturer=Manufacturer.objects.get(identifier=identifier),
            organisation=Organisation.objects.get(slug=slug),
            actor=None,
        )
    created = 0
    for members, regions in demo_combinations():
        _, was_created = dmc_get_or_create(
            members=members, actor=None, name=combination_name(members), regions=regions
        )
        created += was_created
    return report, created
