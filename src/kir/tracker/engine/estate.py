"""The estate: inventory devices, their installations and each installation's DMC."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from kir.identifiers import Component, dmc_identifier
from kir.tracker.engine import sql_estate
from kir.tracker.engine.connection import create_table
from kir.tracker.engine.errors import TrackerError
from kir.tracker.engine.inputs import inventory_relation


@dataclass
class Dmc:
    key: int
    dmc_id: str
    components: tuple[Component, ...]
    members: frozenset[Component] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # A field, not a cached_property: attribution reads it for every DMC of a region, and
        # cached_property's lock (Python 3.11) costs more than the frozenset.
        self.members = frozenset(self.components)


@dataclass
class Estate:
    dmcs: dict[int, Dmc]
    # (region, dmc_key) -> {supplier: installations}
    suppliers: dict[tuple[str, int], dict[str, int]]
    devices: int
    installations: int
    rejects: list[tuple[int, str, str]] = field(default_factory=list)
    rejected_rows: int = 0

    def installations_in(self, region: str, dmc_key: int) -> int:
        return sum(self.suppliers.get((region, dmc_key), {}).values())


def _parse_signature(signature: str) -> tuple[Component, ...]:
    return tuple(Component(*member.split("/")) for member in signature.split("|"))


def _register_dmcs(con: duckdb.DuckDBPyConnection) -> dict[int, Dmc]:
    """Number the distinct DMCs (in signature order) and give each its catalogue id."""
    names: dict[int, str] = {}
    for component, part in con.execute(sql_estate.COMPONENTS).fetchall():
        if names.setdefault(part, component) != component:
            raise TrackerError(f"components {names[part]} and {component} share a hash")
    found = {
        "|".join(sorted(names[part] for part in parts)): parts
        for (parts,) in con.execute(sql_estate.DISTINCT_PARTS).fetchall()
    }
    signatures = sorted(found)
    dmcs: dict[int, Dmc] = {}
    for key, signature in enumerate(signatures, start=1):
        components = _parse_signature(signature)
        dmcs[key] = Dmc(key, dmc_identifier(components), components)
    create_table(
        con,
        "dmc",
        {
            "dmc_key": ("INTEGER", list(dmcs)),
            "dmc_id": ("VARCHAR", [d.dmc_id for d in dmcs.values()]),
            "signature": ("VARCHAR", signatures),
            "parts": ("UBIGINT[]", [found[s] for s in signatures]),
        },
    )
    return dmcs


def load_estate(con: duckdb.DuckDBPyConnection, inventory: Path, *, reject_sample: int) -> Estate:
    relation = inventory_relation(inventory)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE inventory_checked AS "
        + sql_estate.checked_inventory(relation)
    )
    con.execute(sql_estate.INVENTORY_DUPLICATES)
    con.execute(sql_estate.INSTALLATIONS)
    dmcs = _register_dmcs(con)
    con.execute(sql_estate.INSTALLATION_DMCS)
    con.execute(sql_estate.DEVICES)
    suppliers: dict[tuple[str, int], dict[str, int]] = {}
    for region, dmc_key, supplier, count in con.execute(sql_estate.DMC_REGION_SUPPLIERS).fetchall():
        suppliers.setdefault((region, dmc_key), {})[supplier] = count
    devices = con.execute("SELECT count(*) FROM device").fetchone()
    rejected = con.execute(
        "SELECT count(*) FROM inventory_checked WHERE reason IS NOT NULL"
    ).fetchone()
    rejects = con.execute(sql_estate.INVENTORY_REJECTS + f" LIMIT {int(reject_sample)}").fetchall()
    return Estate(
        dmcs=dmcs,
        suppliers=suppliers,
        devices=int(devices[0]) if devices else 0,
        installations=sum(sum(s.values()) for s in suppliers.values()),
        rejects=[(int(r[0]), str(r[1]), str(r[2])) for r in rejects],
        rejected_rows=int(rejected[0]) if rejected else 0,
    )
