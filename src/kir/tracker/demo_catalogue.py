"""The demo tracker speaks the demo catalogue: its findings name device versions and DMCs that the
catalogue has pages for, so a newcomer follows a finding to its model and DMC and back.

The synthetic generator has its own fixed set of models. Before the demo's days are ingested, the
most popular synthetic variants of each device type are relabelled, one to one, as the catalogue's
device versions of that type (a comms hub's GPF follows its CHF, as in a real hub); the rarer ones
keep their synthetic identifiers, which the catalogue does not know (the tracker lists them for
SECAS to resolve). A relabelling is one to one, so the statistics are exactly the generator's.
After the runs, the DMCs the findings cover whose members the catalogue all knows are added to
the catalogue (through its own service) and linked from the findings.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import duckdb

from kir.catalogue.models import DeviceVersion
from kir.catalogue.services import dmc_get_or_create
from kir.identifiers import Component
from kir.tracker.engine.estate import load_estate
from kir.tracker.engine.synthetic_estate import build_catalogue
from kir.tracker.models import FindingComponent, FindingDmc

# Keys: a synthetic (device_type, manufacturer, model, firmware); values: the catalogue version.
Labels = dict[tuple[str, str, str, str], DeviceVersion]
# At most this many DMCs go into the catalogue: the demo's catalogue pages stay readable.
MAX_DMCS = 40


def _component_key(c: Component) -> tuple[str, str, str, str]:
    return (c.device_type, c.manufacturer, c.model, c.firmware_version)


def _key(version: DeviceVersion) -> tuple[str, str, str]:
    model = version.device_model
    return (model.manufacturer.identifier, model.model_id, version.firmware_version)


def catalogue_labels() -> Labels:
    """The relabelling from the synthetic estate to the catalogue there is (none when empty)."""
    by_type: dict[str, list[DeviceVersion]] = defaultdict(list)
    versions = DeviceVersion.objects.select_related("device_model__manufacturer")
    for version in sorted(versions, key=_key):
        by_type[version.device_model.device_type].append(version)
    labels: Labels = {}
    for variants in build_catalogue().values():
        for variant, version in zip(
            variants, by_type.get(variants[0].device_type, []), strict=False
        ):
            labels[tuple(variant.component())] = version  # type: ignore[index]
    # A hub's GPF shares the CHF's firmware image: it follows the CHF's label to the catalogue's
    # GPF of the same manufacturer and firmware.
    gpfs = {(v.device_model.manufacturer.identifier, v.firmware_version): v for v in by_type["GPF"]}
    for chf in build_catalogue()[0]:
        target = labels.get(_component_key(chf.component()))
        if target is None:
            continue
        gpf = gpfs.get((target.device_model.manufacturer.identifier, target.firmware_version))
        if gpf is not None:
            model = chf.model[:4] + "01" + chf.model[6:]
            labels[("GPF", chf.manufacturer, model, chf.firmware_version)] = gpf
    return labels


def relabel_inventory(source: Path, target: Path, labels: Labels) -> int:
    """Write `source` (the generator's inventory) to `target` with the labels applied; the
    number of devices relabelled."""
    rows = [
        (*synthetic, *_key(version), version.hardware_version)
        for synthetic, version in labels.items()
    ]
    with duckdb.connect() as con:
        con.execute(
            "CREATE TABLE label (device_type VARCHAR, manufacturer VARCHAR, model VARCHAR, "
            "firmware_version VARCHAR, to_manufacturer VARCHAR, to_model VARCHAR, "
            "to_firmware VARCHAR, to_hardware VARCHAR)"
        )
        if rows:
            con.executemany("INSERT INTO label VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
        joined = f"""
            FROM read_parquet('{source}') i LEFT JOIN label l
              ON upper(i.device_type) = l.device_type AND upper(i.manufacturer) = l.manufacturer
             AND upper(i.model) = l.model AND upper(i.firmware_version) = l.firmware_version"""
        con.execute(
            f"""COPY (SELECT i.* REPLACE (
                    coalesce(l.to_manufacturer, i.manufacturer) AS manufacturer,
                    coalesce(l.to_model, i.model) AS model,
                    coalesce(l.to_hardware, i.hardware_version) AS hardware_version,
                    coalesce(l.to_firmware, i.firmware_version) AS firmware_version)
                {joined} ORDER BY i.device_id) TO '{target}' (FORMAT parquet)"""
        )
        found = con.execute(f"SELECT count(l.to_model) {joined}").fetchone()
    return int(found[0]) if found else 0


def link_finding_dmcs(inventory: Path) -> int:
    """Add the findings' DMCs whose members the catalogue all knows (the most often named first,
    at most MAX_DMCS) and link the findings to them; the number linked."""
    versions = {
        (v.device_model.device_type, *_key(v)): v
        for v in DeviceVersion.objects.select_related("device_model__manufacturer")
    }
    with duckdb.connect() as con:
        estate = load_estate(con, inventory, reject_sample=0)
    regions: dict[int, set[str]] = defaultdict(set)
    for region, key in estate.suppliers:
        regions[key].add(region)
    combos = {dmc.dmc_id: (dmc.components, regions[dmc.key]) for dmc in estate.dmcs.values()}
    named = FindingDmc.objects.filter(dmc__isnull=True).values_list("identifier", flat=True)
    counts: dict[str, int] = defaultdict(int)
    for identifier in named:
        counts[identifier] += 1
    linked = 0
    for identifier in sorted(counts, key=lambda i: (-counts[i], i)):
        if linked == MAX_DMCS or identifier not in combos:
            continue
        components, in_regions = combos[identifier]
        found = [versions.get(_component_key(c)) for c in components]
        members = [m for m in found if m is not None]
        if len(members) != len(found):
            continue
        dmc, _ = dmc_get_or_create(
            members=members,
            actor=None,
            name=_name(components, members),
            regions=sorted(in_regions),
        )
        if dmc.identifier == identifier:
            FindingDmc.objects.filter(identifier=identifier).update(dmc=dmc)
            linked += 1
    return linked


def _name(components: tuple[Component, ...], members: list[DeviceVersion]) -> str:
    hub = next(
        (m for c, m in zip(components, members, strict=True) if c.device_type == "CHF"), None
    )
    meter = next(
        (m for c, m in zip(components, members, strict=True) if c.device_type == "ESME"), None
    )
    parts = [str(m.device_model.name) for m in (hub, meter) if m is not None]
    return " + ".join(parts) + " (tracker demo)" if parts else "Tracker demo combination"


def resolved_components() -> tuple[int, int]:
    """(finding components the catalogue knows, all finding components): for the summary."""
    rows = FindingComponent.objects
    return rows.filter(device_version__isnull=False).count(), rows.count()
