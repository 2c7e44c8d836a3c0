"""Synthetic national-scale alert data shaped like GB, with planted problems and decoys.

`write_synthetic_dataset` writes an inventory, a directory of alert files and `planted.json`, the
ground truth that tests and the benchmark check the tracker against. Everything is vectorised numpy
in chunks of at most `MAX_PART_ROWS` alerts (one or more files per day), so 100 million alerts over
10 million devices take minutes and a few GB, and the same seed always gives the same bytes of data.

Alerts are generated as *events*, each a burst of one or more alerts of one code on one device:
  - background: every device has a gamma-distributed rate (gamma-Poisson, so overdispersed), codes
    drawn from a per-device-type mix of real GBCS codes; 6% of events repeat 2-3 times within 4
    minutes and `81A3` (CH disconnected from ESME) is always followed by `81A2` within 5-1800 s, so
    the baseline has some superfluous traffic of its own;
  - planted problems, each a fixed share of all alerts (PLANTED_SHARE; docs/tracker-benchmark.md);
  - decoys that must not make a DMC look guilty.
The shares are of the total, so the planted problems scale with the data set.
"""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from kir.tracker.engine import synthetic_estate as es
from kir.tracker.engine.synthetic_planted import Planted, choose_planted
from kir.tracker.engine.synthetic_writers import (
    write_alerts_csv,
    write_alerts_duis,
    write_inventory,
)

GENERATOR_VERSION = 2  # 2: natural variation between DMCs
WINDOW_START = es.WINDOW_START
MAX_PART_ROWS = 3_000_000
FORMATS = ("parquet", "csv", "duis")
DUIS_MAX_ALERTS = 200_000
DAY_SECONDS = 86_400

# Per device type: GBCS / DCC alert codes and their relative frequency in background traffic.
BASELINE_MIX: dict[int, dict[str, float]] = {
    es.CHF: {"8F12": 30, "8F26": 8, "8F2C": 8, "8F49": 10, "8145": 15, "8F48": 4, "N24": 8},
    es.ESME: {
        "8F35": 18,
        "8F36": 5,
        "8145": 12,
        "8F0A": 15,
        "8F0C": 3,
        "81A3": 6,
        "8F01": 5,
        "8015": 3,
        "8014": 3,
        "8F84": 4,
        "8F3F": 2,
        "8F57": 5,
        "81B2": 2,
        "8F1C": 1,
    },
    es.GSME: {"8F1F": 15, "8F0A": 30, "8145": 20, "8F3F": 5, "81B4": 5, "8F1D": 10, "819D": 10},
    es.GPF: {"8071": 50, "8145": 30, "8F0A": 20},
    es.PPMID: {"8183": 40, "8F49": 30, "8145": 30},
    es.IHD: {"8183": 50, "8F49": 50},
}
CODES: tuple[str, ...] = tuple(sorted({c for mix in BASELINE_MIX.values() for c in mix} | {"81A2"}))
CODE_INDEX = {code: i for i, code in enumerate(CODES)}
FLAP_OFF, FLAP_ON = CODE_INDEX["81A3"], CODE_INDEX["81A2"]
BASELINE_REPEAT_SHARE = 0.06

# Share of all alerts that each planted problem and decoy contributes.
PLANTED_SHARE = {
    "component": 0.03,
    "combination": 0.015,
    "region": 0.015,
    "noisy_device": 0.003,
    "power_cut": 0.02,
}


@dataclass
class Events:
    """Bursts: each event is `size` alerts on one device, `gap_lo..gap_hi` seconds apart, the even
    ones of code `code` and the odd ones of `partner` (equal to `code` except for flapping)."""

    device: np.ndarray
    code: np.ndarray
    partner: np.ndarray
    size: np.ndarray
    gap_lo: np.ndarray
    gap_hi: np.ndarray
    start_lo: np.ndarray
    start_hi: np.ndarray
    throttle: np.ndarray  # share of this event's alerts that DCC reports throttled

    def __len__(self) -> int:
        return len(self.size)

    def head(self, n: int) -> Events:
        return Events(*(getattr(self, f.name)[:n] for f in fields(self)))

    @staticmethod
    def concat(parts: list[Events]) -> Events:
        if not parts:
            empty = np.zeros(0, np.int64)
            return Events(*(empty for _ in fields(Events)))
        return Events(
            *(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(Events))
        )


def _events(
    device: np.ndarray,
    code: np.ndarray | int,
    size: np.ndarray,
    gaps: tuple[np.ndarray | int, np.ndarray | int],
    *,
    partner: np.ndarray | int | None = None,
    start: tuple[np.ndarray | int, np.ndarray | int] = (0, DAY_SECONDS),
    throttle: float = 0.0,
) -> Events:
    n = len(device)

    def full(value: np.ndarray | int | float, dtype: Any) -> np.ndarray:
        return np.broadcast_to(np.asarray(value, dtype=dtype), (n,)).copy()

    return Events(
        device=device.astype(np.int32),
        code=full(code, np.int16),
        partner=full(code if partner is None else partner, np.int16),
        size=size.astype(np.int64),
        gap_lo=full(gaps[0], np.int64),
        gap_hi=full(gaps[1], np.int64),
        start_lo=full(start[0], np.int64),
        start_hi=full(start[1], np.int64),
        throttle=full(throttle, np.float64),
    )


def _fill(rows: int, draw: Callable[[int], Events], mean_size: float) -> list[Events]:
    """Events adding up to exactly `rows` alerts (the last burst is shortened)."""
    if rows <= 0:
        return []
    got: list[Events] = []
    total = 0
    while total < rows:
        batch = draw(max(16, int((rows - total) / mean_size * 1.05) + 1))
        got.append(batch)
        total += int(batch.size.sum())
    events = Events.concat(got)
    cumulative = np.cumsum(events.size)
    last = int(np.searchsorted(cumulative, rows))
    events = events.head(last + 1)
    events.size[last] -= int(cumulative[last]) - rows
    return [events]


class _Background:
    """Draws background events: device by its gamma rate, code from its type's mix."""

    def __init__(self, estate: es.Estate, repeat_share: np.ndarray) -> None:
        self.types = estate.dev_type
        self.dmc = estate.inst_dmc[estate.dev_installation]
        self.repeat_share = repeat_share  # DMC x code
        self.cdf = np.cumsum(estate.dev_weight)
        self.mix = []
        for type_index in range(len(es.DEVICE_TYPES)):
            mix = BASELINE_MIX[type_index]
            weights = np.array(list(mix.values()), dtype=np.float64)
            cdf = np.cumsum(weights / weights.sum())
            cdf[-1] = 1.0
            self.mix.append((np.array([CODE_INDEX[c] for c in mix], dtype=np.int16), cdf))

    def draw(self, rng: np.random.Generator, n: int) -> Events:
        # Sorted queries make the binary search cache-friendly (10x faster on 10M devices); the
        # order of events does not matter, every alert gets its own random time.
        device = np.searchsorted(self.cdf, np.sort(rng.random(n)) * self.cdf[-1], side="right")
        device = np.minimum(device, len(self.cdf) - 1)
        types = self.types[device]
        u = rng.random(n)
        code = np.empty(n, dtype=np.int16)
        for type_index, (codes, cdf) in enumerate(self.mix):
            mask = types == type_index
            code[mask] = codes[np.searchsorted(cdf, u[mask], side="right")]
        flap = code == FLAP_OFF
        repeat = rng.random(n) < self.repeat_share[self.dmc[device], code]
        size = np.where(flap, 2, np.where(repeat, rng.integers(2, 4, n), 1))
        gaps = (np.where(flap, 5, 1), np.where(flap, 1800, 240))
        return _events(device, code, size, gaps, partner=np.where(flap, FLAP_ON, code))


def _uniform_draw(
    rng: np.random.Generator,
    devices: np.ndarray,
    code: str,
    sizes: tuple[int, int],
    gaps: tuple[int, int],
    *,
    partner: str | None = None,
    throttle: float = 0.0,
) -> Callable[[int], Events]:
    def draw(n: int) -> Events:
        chosen = devices[rng.integers(0, len(devices), n)]
        size = rng.integers(sizes[0], sizes[1] + 1, n)
        return _events(
            chosen,
            CODE_INDEX[code],
            size,
            gaps,
            partner=CODE_INDEX[partner or code],
            throttle=throttle,
        )

    return draw


def _power_cut_events(rng: np.random.Generator, esmes: np.ndarray) -> list[Events]:
    """Supply restored at each affected meter, 14:00-15:30: a flicker of 8F35, then one 8F36."""
    if len(esmes) == 0:
        return []
    restored = 14 * 3600 + rng.integers(0, 5400, len(esmes))
    flicker = _events(
        esmes,
        CODE_INDEX["8F35"],
        rng.integers(2, 4, len(esmes)),
        (1, 20),
        start=(restored, restored + 120),
    )
    long_outage = _events(
        esmes,
        CODE_INDEX["8F36"],
        np.ones(len(esmes), np.int64),
        (1, 1),
        start=(restored, restored + 60),
    )
    return [flicker, long_outage]


def _expand(rng: np.random.Generator, events: Events) -> dict[str, np.ndarray]:
    """One row per alert: bursts laid out gap by gap, each burst placed wholly inside its day."""
    size = events.size
    n_rows = int(size.sum())
    event_of_row = np.repeat(np.arange(len(size)), size)
    first = np.cumsum(size) - size
    position = np.arange(n_rows) - first[event_of_row]
    low, high = events.gap_lo[event_of_row], events.gap_hi[event_of_row]
    gaps = low + (rng.random(n_rows) * (high - low + 1)).astype(np.int64)
    gaps[position == 0] = 0
    cumulative = np.cumsum(gaps)
    offset = cumulative - cumulative[first][event_of_row]
    span = offset[first + size - 1] if n_rows else np.zeros(0, np.int64)
    room = np.maximum(events.start_hi - events.start_lo - span, 1)
    start = events.start_lo + (rng.random(len(size)) * room).astype(np.int64)
    start = np.minimum(start, DAY_SECONDS - 1 - span)
    micros = (start[event_of_row] + offset) * 1_000_000 + rng.integers(0, 1_000_000, n_rows)
    code = np.where(position % 2 == 0, events.code[event_of_row], events.partner[event_of_row])
    throttled = np.where(
        rng.random(n_rows) < events.throttle[event_of_row], rng.integers(2, 31, n_rows), 0
    )
    return {
        "device": events.device[event_of_row],
        "code": code,
        "micros": micros,
        "throttled": throttled.astype(np.int32),
    }


def _split(total: int, parts: int) -> list[int]:
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


@dataclass
class _Part:
    day: int
    part: int
    budgets: dict[str, int]
    background: int
    power_cut_esmes: np.ndarray


def planted_totals(alerts: int, devices: int, planted: bool = True) -> dict[str, int]:
    """Alert rows of each planted problem and decoy. The noisy device gets at least 50 times an
    average device's alerts (so it is the loudest device even in a small estate), at most 2%."""
    totals = {name: round(share * alerts * planted) for name, share in PLANTED_SHARE.items()}
    if not planted:
        return totals
    loud = max(totals["noisy_device"], round(50 * alerts / max(devices, 1)))
    totals["noisy_device"] = min(loud, round(0.02 * alerts))
    return totals


def _plan(alerts: int, days: int, planted: Planted, devices: int, plant: bool) -> list[_Part]:
    totals = planted_totals(alerts, devices, plant)
    if not planted.power_cut_esmes.size:
        totals["power_cut"] = 0
    per_day = {name: _split(total, days) for name, total in totals.items() if name != "power_cut"}
    per_day["power_cut"] = [
        totals["power_cut"] if d == planted.power_cut_day else 0 for d in range(days)
    ]
    background = _split(alerts - sum(totals.values()), days)
    plan = []
    for day in range(days):
        day_rows = background[day] + sum(split[day] for split in per_day.values())
        parts = max(1, math.ceil(day_rows / MAX_PART_ROWS))
        cut_esmes = (
            planted.power_cut_esmes if day == planted.power_cut_day else np.zeros(0, np.int32)
        )
        cut_split = np.array_split(cut_esmes, parts)
        part_budgets = {name: _split(split[day], parts) for name, split in per_day.items()}
        for part, part_background in enumerate(_split(background[day], parts)):
            budgets = {name: rows[part] for name, rows in part_budgets.items()}
            plan.append(_Part(day, part, budgets, part_background, cut_split[part]))
    return plan


def _planted_draws(
    rng: np.random.Generator, planted: Planted
) -> list[tuple[str, Callable[[int], Events], float]]:
    """(name, event drawer, mean burst size) of each planted problem and the noisy device."""
    return [
        (
            "component",
            _uniform_draw(rng, planted.component_esmes, planted.component_code, (3, 10), (2, 90)),
            6.5,
        ),
        (
            "combination",
            _uniform_draw(rng, planted.combination_esmes, "81A3", (4, 12), (3, 60), partner="81A2"),
            8.0,
        ),
        (
            "region",
            _uniform_draw(rng, planted.region_esmes, planted.region_code, (3, 8), (5, 120)),
            5.5,
        ),
        (
            "noisy_device",
            _uniform_draw(
                rng, planted.noisy_devices, planted.noisy_code, (20, 60), (1, 10), throttle=0.25
            ),
            40.0,
        ),
    ]


def _generate_part(
    seed: int, item: _Part, planted: Planted, background: _Background
) -> dict[str, np.ndarray]:
    rng = np.random.default_rng([seed, 3, item.day, item.part])
    events: list[Events] = []
    cut = _power_cut_events(rng, item.power_cut_esmes)
    cut_rows = sum(int(e.size.sum()) for e in cut)
    spare = item.budgets["power_cut"] - cut_rows  # rows the power cut did not use go to background
    events += cut
    for name, draw, mean in _planted_draws(rng, planted):
        budget = item.budgets[name]
        if budget and len(planted.devices_for(name)) == 0:
            spare, budget = spare + budget, 0
        events += _fill(budget, draw, mean)
    events += _fill(item.background + spare, lambda n: background.draw(rng, n), 1.1)
    rows = _expand(rng, Events.concat(events))
    order = np.argsort(rows["micros"], kind="stable")
    return {key: value[order] for key, value in rows.items()}


def _arrow_table(rows: dict[str, np.ndarray], day: int, device_ids: pa.Array) -> pa.Table:
    day_start = WINDOW_START + timedelta(days=day)
    epoch_micros = int(day_start.timestamp()) * 1_000_000
    throttled = rows["throttled"]
    return pa.table(
        {
            "device_id": device_ids.take(pa.array(rows["device"])),
            "alert_code": pa.DictionaryArray.from_arrays(
                pa.array(rows["code"].astype(np.int32)), pa.array(CODES)
            ),
            "raised_at": pa.array(rows["micros"] + epoch_micros, type=pa.timestamp("us", tz="UTC")),
            "throttled_count": pa.array(throttled, type=pa.int32(), mask=throttled == 0),
        }
    )


def write_synthetic_dataset(
    out_dir: Path,
    *,
    devices: int,
    alerts: int,
    days: int,
    seed: int,
    alerts_format: str = "parquet",
    natural_log_sd: float = es.NATURAL_LOG_SD,
    plant: bool = True,
) -> dict:
    """Write inventory, alerts/ and planted.json under out_dir; return the manifest (planted.json).

    `alerts` is the exact number of alert rows (a throttled row stands for more alerts, see
    manifest["counts"]["alerts_counting_throttled"]); `devices` the exact number of devices.
    `natural_log_sd` is the lognormal spread of each DMC's repeat share of each code around
    BASELINE_REPEAT_SHARE; without `plant`, nothing is planted (no problem and no decoy).
    """
    if alerts_format not in FORMATS:
        raise ValueError(
            f"alerts_format: expected one of {', '.join(FORMATS)}, got {alerts_format!r}"
        )
    if days < 1 or alerts < 0:
        raise ValueError("days must be at least 1 and alerts at least 0")
    if alerts_format == "duis" and alerts > DUIS_MAX_ALERTS:
        raise ValueError(f"duis: at most {DUIS_MAX_ALERTS} alerts (XML is for small samples)")
    out_dir = Path(out_dir)
    alerts_dir = out_dir / "alerts"
    if alerts_dir.exists():
        shutil.rmtree(alerts_dir)
    alerts_dir.mkdir(parents=True)
    estate = es.build_estate(devices, seed)
    planted = choose_planted(
        estate,
        seed=seed,
        days=days,
        alerts=alerts,
        power_cut_rows=planted_totals(alerts, devices)["power_cut"],
    )
    inventory_name = "inventory.csv" if alerts_format == "csv" else "inventory.parquet"
    device_ids = write_inventory(estate, seed, out_dir / inventory_name)
    share = es.natural_repeat_share(estate, seed, len(CODES), BASELINE_REPEAT_SHARE, natural_log_sd)
    background = _Background(estate, share)
    files, weighted, written = [], 0, 0
    for item in _plan(alerts, days, planted, devices, plant):
        rows = _generate_part(seed, item, planted, background)
        weighted += int(np.maximum(rows["throttled"], 1).sum())
        written += len(rows["device"])
        table = _arrow_table(rows, item.day, device_ids)
        stem = f"alerts-{(WINDOW_START + timedelta(days=item.day)).date()}-p{item.part:02d}"
        if alerts_format == "parquet":
            path = alerts_dir / f"{stem}.parquet"
            pq.write_table(table, path, compression="snappy", use_dictionary=["alert_code"])
        elif alerts_format == "csv":
            path = alerts_dir / f"{stem}.csv.gz"
            write_alerts_csv(table, path, seed)
        else:
            path = alerts_dir / f"{stem}.xml"
            write_alerts_duis(table, path)
        files.append(str(path.relative_to(out_dir)))
    manifest = _manifest(estate, planted, files, inventory_name, weighted)
    if not plant:
        manifest.update(planted=[], decoys=[], planted_rows=planted_totals(alerts, devices, False))
    manifest["counts"]["alert_rows"] = written
    manifest["parameters"] = {
        "devices": devices,
        "alerts": alerts,
        "days": days,
        "seed": seed,
        "alerts_format": alerts_format,
        "generator_version": GENERATOR_VERSION,
        "natural_log_sd": natural_log_sd,
        "planted": plant,
    }
    (out_dir / "planted.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def _manifest(
    estate: es.Estate, planted: Planted, files: list[str], inventory: str, weighted: int
) -> dict[str, Any]:
    end = WINDOW_START + timedelta(days=planted.days)
    regions = {name: int((estate.inst_region == i).sum()) for i, name in enumerate(es.REGIONS)}
    return {
        "window": {
            "from": WINDOW_START.date().isoformat(),
            "to": (end - timedelta(days=1)).date().isoformat(),
            "start": WINDOW_START.isoformat(),
            "end": end.isoformat(),
            "days": planted.days,
        },
        "files": {"inventory": inventory, "alerts": files},
        "counts": {
            "devices": estate.devices,
            "installations": estate.installations,
            "installations_by_region": regions,
            "dmcs": len(estate.dmc_ids),
            "alert_rows": None,
            "alerts_counting_throttled": weighted,
        },
        "planted_rows": planted_totals(planted.alerts, estate.devices),
        **planted.describe(estate),
    }
