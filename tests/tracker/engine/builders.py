"""Small constructed estates and alert logs for the engine tests, written as real files."""

from __future__ import annotations

import csv
import gzip
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from kir.tracker.engine.inputs import INVENTORY_COLUMNS

START = datetime(2024, 3, 1, tzinfo=UTC)

CHF_A = ("CHF", "AAAA", "0000000A", "00000001")
CHF_B = ("CHF", "BBBB", "0000000B", "00000001")
ESME_X = ("ESME", "1111", "00000011", "00000001")
ESME_Y = ("ESME", "2222", "00000022", "00000001")
ESME_Z = ("ESME", "3333", "00000033", "00000001")


def device_id(number: int) -> str:
    digits = f"{number:016X}"
    return "-".join(digits[i : i + 2] for i in range(0, 16, 2))


@dataclass
class Installation:
    installation_id: str
    region: str
    supplier: str
    devices: dict[str, str]  # device type -> device id
    components: tuple[tuple[str, str, str, str], ...]


@dataclass
class Estate:
    rows: list[dict[str, str]] = field(default_factory=list)
    installations: list[Installation] = field(default_factory=list)
    _next: int = 0x00DB000000000001

    def add(
        self,
        region: str,
        supplier: str,
        components: Iterable[tuple[str, str, str, str]],
        count: int = 1,
    ) -> list[Installation]:
        made = []
        components = tuple(components)
        for _ in range(count):
            inst = Installation(
                f"INST-{len(self.installations) + 1:05d}", region, supplier, {}, components
            )
            for device_type, manufacturer, model, firmware in components:
                dev = device_id(self._next)
                self._next += 1
                inst.devices[device_type] = dev
                self.rows.append(
                    dict(
                        zip(
                            INVENTORY_COLUMNS,
                            (
                                dev,
                                inst.installation_id,
                                region,
                                supplier,
                                device_type,
                                manufacturer,
                                model,
                                "0001",
                                firmware,
                            ),
                            strict=True,
                        )
                    )
                )
            self.installations.append(inst)
            made.append(inst)
        return made

    def write(self, path: Path) -> Path:
        if path.suffix == ".parquet":
            pq.write_table(pa.Table.from_pylist(self.rows), path)
        else:
            write_csv(path, INVENTORY_COLUMNS, self.rows)
        return path


def write_csv(path: Path, fields: Iterable[str], rows: Iterable[dict[str, object]]) -> Path:
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "wt", newline="", encoding="utf-8") as handle:  # type: ignore[operator]
        writer = csv.DictWriter(handle, fieldnames=list(fields), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def alert(device: str, code: str, at: datetime, throttled: int | None = None) -> dict[str, object]:
    row: dict[str, object] = {
        "device_id": device,
        "alert_code": code,
        "raised_at": at.isoformat().replace("+00:00", "Z"),
    }
    if throttled is not None:
        row["throttled_count"] = throttled
    return row


def write_alerts(path: Path, rows: list[dict[str, object]]) -> Path:
    fields = ["device_id", "alert_code", "raised_at"]
    if any("throttled_count" in r for r in rows):
        fields.append("throttled_count")
    if path.suffix == ".parquet":
        table = pa.table({f: [r.get(f) for r in rows] for f in fields})
        pq.write_table(table, path)
        return path
    return write_csv(path, fields, rows)


def at(day: int, seconds: int) -> datetime:
    return START + timedelta(days=day, seconds=seconds)


def daily_background(
    estate: Estate,
    days: int,
    rng: random.Random,
    code: str = "8F35",
    device_type: str = "ESME",
    repeat_chance: float = 0.2,
) -> list[dict[str, object]]:
    """Normal traffic: a couple of alerts a day per device, now and then one repeat."""
    rows = []
    for inst in estate.installations:
        dev = inst.devices.get(device_type)
        if dev is None:
            continue
        for day in range(days):
            t = rng.randrange(3600, 40_000)
            rows.append(alert(dev, code, at(day, t)))
            rows.append(alert(dev, code, at(day, t + 20_000)))
            if rng.random() < repeat_chance:
                rows.append(alert(dev, code, at(day, t + 60)))
    return rows


def storm(
    devices: Iterable[str],
    days: Iterable[int],
    rng: random.Random,
    code: str = "8F35",
    repeats: int = 6,
    chance: float = 0.9,
) -> list[dict[str, object]]:
    """A behaviour: repeats of `code` seconds apart on most of `days` for each device."""
    rows = []
    for dev in devices:
        for day in days:
            if rng.random() > chance:
                continue
            t = rng.randrange(50_000, 80_000)
            rows += [alert(dev, code, at(day, t + 30 * k)) for k in range(repeats)]
    return rows


def run_scan(
    tmp_path: Path,
    estate: Estate,
    rows: list[dict[str, object]],
    rules_text: str | None = None,
    alerts_name: str = "alerts.csv",
) -> dict[str, tuple[int, int]]:
    """Flag `rows` and return {code: (alerts, superfluous)} over the known devices."""
    import tempfile

    from kir.tracker.engine.connection import EngineSettings, connect
    from kir.tracker.engine.estate import load_estate
    from kir.tracker.engine.inputs import prepare_alerts
    from kir.tracker.engine.rules import load_rules
    from kir.tracker.engine.scan import scan_alerts

    rules_path = None
    if rules_text is not None:
        rules_path = tmp_path / "rules.toml"
        rules_path.write_text(rules_text)
    rules = load_rules(rules_path)
    inventory = estate.write(tmp_path / "inventory.csv")
    alerts = write_alerts(tmp_path / alerts_name, rows)
    with tempfile.TemporaryDirectory() as work:
        con = connect(EngineSettings(threads=2), Path(work))
        load_estate(con, inventory, reject_sample=5)
        scan_alerts(con, prepare_alerts([alerts], Path(work)), rules)
        result = con.execute(
            "SELECT code, sum(alerts), sum(superfluous) FROM agg_day "
            "WHERE region NOT LIKE '?%' GROUP BY code"
        ).fetchall()
        con.close()
    return {code: (int(a), int(s)) for code, a, s in result}
