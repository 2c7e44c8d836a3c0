"""Constructed estates with one planted behaviour each, for attribution, decoys and disclosure."""

from __future__ import annotations

import random
from pathlib import Path

from tests.tracker.engine.builders import (
    CHF_A,
    CHF_B,
    ESME_X,
    ESME_Y,
    ESME_Z,
    Estate,
    alert,
    at,
    daily_background,
    storm,
    write_alerts,
)

DAYS = 7
SUPPLIERS = ("SUP1", "SUP2", "SUP3")


def grid_estate(regions=("north", "central"), per_dmc: int = 30) -> Estate:
    """Every CHF with every ESME, in every region, suppliers taking turns."""
    estate = Estate()
    for region in regions:
        for chf in (CHF_A, CHF_B):
            for esme in (ESME_X, ESME_Y, ESME_Z):
                for k in range(per_dmc):
                    estate.add(region, SUPPLIERS[k % 3], [chf, esme])
    return estate


def meters(estate: Estate, *components, region: str | None = None) -> list[str]:
    return [
        inst.devices["ESME"]
        for inst in estate.installations
        if all(c in inst.components for c in components)
        and (region is None or inst.region == region)
    ]


def flaps(devices, rng: random.Random, days=range(DAYS), chance=0.9) -> list[dict[str, object]]:
    rows = []
    for dev in devices:
        for day in days:
            if rng.random() > chance:
                continue
            t = rng.randrange(50_000, 80_000)
            for k in range(4):
                rows.append(alert(dev, "81A3", at(day, t + 40 * k)))
                rows.append(alert(dev, "81A2", at(day, t + 40 * k + 10)))
    return rows


def real_reconnects(estate: Estate, rng: random.Random) -> list[dict[str, object]]:
    """A disconnect now and then, reconnected long after: baseline traffic, not flapping."""
    rows = []
    for inst in estate.installations:
        for day in range(DAYS):
            if rng.random() < 0.3:
                t = rng.randrange(1000, 30_000)
                dev = inst.devices["ESME"]
                rows += [alert(dev, "81A3", at(day, t)), alert(dev, "81A2", at(day, t + 2000))]
    return rows


def planted_rows(estate: Estate, seed: int = 7) -> list[dict[str, object]]:
    """Component (ESME Y, 8F0C), combination (CHF B + ESME Z, flaps), North-only (ESME X, 8F84)."""
    rng = random.Random(seed)
    rows = daily_background(estate, DAYS, rng)
    rows += daily_background(estate, DAYS, rng, code="8F0C", repeat_chance=0.1)
    rows += daily_background(estate, DAYS, rng, code="8F84", repeat_chance=0.1)
    rows += real_reconnects(estate, rng)
    ys = meters(estate, ESME_Y)
    rows += storm([d for d in ys if rng.random() < 0.85], range(DAYS), rng, code="8F0C")
    pairs = meters(estate, CHF_B, ESME_Z)
    rows += flaps([d for d in pairs if rng.random() < 0.85], rng)
    north_x = meters(estate, ESME_X, region="north")
    rows += storm([d for d in north_x if rng.random() < 0.85], range(DAYS), rng, code="8F84")
    return rows


def across_midnight(
    estate: Estate, rng: random.Random, every: int, throttled: bool = False
) -> list[dict[str, object]]:
    """A repeat and a flap straddling midnight on every `every`-th installation's meter, and
    with `throttled` a throttled alert earlier that day: what a day-by-day run must not miss."""
    rows = []
    for inst in estate.installations[::every]:
        meter = inst.devices["ESME"]
        day = rng.randrange(0, DAYS - 1)
        rows += [alert(meter, "8F35", at(day, 86_390)), alert(meter, "8F35", at(day + 1, 30))]
        rows += [alert(meter, "81A3", at(day, 86_395)), alert(meter, "81A2", at(day + 1, 5))]
        if throttled:
            rows.append(alert(meter, "8F0C", at(day, 43_200), throttled=4))
    return rows


def write(tmp_path: Path, estate: Estate, rows, name: str = "alerts.parquet") -> tuple[Path, Path]:
    return estate.write(tmp_path / "inventory.csv"), write_alerts(tmp_path / name, rows)


def key(component) -> str:
    return "/".join(component)


def finding_keys(finding) -> list[str]:
    return [
        "/".join(c[k] for k in ("device_type", "manufacturer", "model", "firmware_version"))
        for c in finding["components"]
    ]
