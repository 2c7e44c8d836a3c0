"""The synthetic data generator: files, shape, determinism, planted problems really present."""

from __future__ import annotations

import csv
import gzip
import json
import re
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from kir.tracker.engine.synthetic import write_synthetic_dataset

DEVICES, ALERTS, DAYS = 2_000, 50_000, 7
EUI64 = re.compile(r"^([0-9A-F]{2}-){7}[0-9A-F]{2}$")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("synthetic")
    manifest = write_synthetic_dataset(out, devices=DEVICES, alerts=ALERTS, days=DAYS, seed=7)
    return out, manifest


@pytest.fixture(scope="module")
def db(dataset: tuple[Path, dict]) -> duckdb.DuckDBPyConnection:
    out, _ = dataset
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"CREATE VIEW inventory AS SELECT * FROM read_parquet('{out}/inventory.parquet')")
    con.execute(f"CREATE VIEW alerts AS SELECT * FROM read_parquet('{out}/alerts/*.parquet')")
    # Each alert with its installation, region, the device's model and whether it repeats the
    # previous alert of the same device and code within 300 s.
    con.execute("""
        CREATE TABLE flagged AS
        SELECT a.*, i.installation_id, i.region, i.device_type, i.model, i.firmware_version,
               coalesce(epoch(a.raised_at) - epoch(lag(a.raised_at) OVER (
                   PARTITION BY a.device_id, a.alert_code ORDER BY a.raised_at)) <= 300, false)
                   AS repeat
        FROM alerts a JOIN inventory i USING (device_id)
    """)
    return con


def planted(manifest: dict, name: str) -> dict:
    return next(p for p in manifest["planted"] + manifest["decoys"] if p["name"] == name)


def test_it_writes_inventory_alert_files_and_planted_json(dataset: tuple[Path, dict]) -> None:
    out, manifest = dataset
    assert (out / "inventory.parquet").exists()
    assert json.loads((out / "planted.json").read_text()) == manifest
    assert len(manifest["files"]["alerts"]) == DAYS
    assert all((out / name).exists() for name in manifest["files"]["alerts"])
    assert manifest["window"] == {
        "from": "2026-11-02",
        "to": "2026-11-08",
        "start": "2026-11-02T00:00:00+00:00",
        "end": "2026-11-09T00:00:00+00:00",
        "days": DAYS,
    }


def test_it_uses_the_documented_columns_and_types(db: duckdb.DuckDBPyConnection) -> None:
    inventory = {row[0]: row[1] for row in db.execute("DESCRIBE inventory").fetchall()}
    assert list(inventory) == [
        "device_id", "installation_id", "region", "supplier", "device_type",
        "manufacturer", "model", "hardware_version", "firmware_version",
    ]  # fmt: skip
    assert set(inventory.values()) == {"VARCHAR"}
    alerts = {row[0]: row[1] for row in db.execute("DESCRIBE alerts").fetchall()}
    assert alerts == {
        "device_id": "VARCHAR",
        "alert_code": "VARCHAR",
        "raised_at": "TIMESTAMP WITH TIME ZONE",
        "throttled_count": "INTEGER",
    }
    bad = db.execute("""
        SELECT count(*) FROM inventory WHERE NOT regexp_full_match(manufacturer, '[0-9A-F]{4}')
           OR NOT regexp_full_match(model, '[0-9A-F]{8}')
           OR NOT regexp_full_match(firmware_version, '[0-9A-F]{8}')
    """).fetchone()
    assert bad == (0,)


def test_it_honours_the_sizes(db: duckdb.DuckDBPyConnection, dataset: tuple[Path, dict]) -> None:
    _, manifest = dataset
    devices, distinct = db.execute(
        "SELECT count(*), count(DISTINCT device_id) FROM inventory"
    ).fetchone() or (0, 0)
    assert devices == distinct == DEVICES
    assert db.execute("SELECT count(*) FROM alerts").fetchone() == (ALERTS,)
    weighted = db.execute("SELECT sum(coalesce(throttled_count, 1)) FROM alerts").fetchone()
    assert weighted == (manifest["counts"]["alerts_counting_throttled"],)
    assert manifest["counts"]["devices"] == DEVICES
    assert manifest["counts"]["alert_rows"] == ALERTS
    days = db.execute("SELECT count(DISTINCT raised_at::DATE) FROM alerts").fetchone()
    assert days == (DAYS,)


def test_every_alert_comes_from_an_inventory_device_with_a_canonical_id(
    db: duckdb.DuckDBPyConnection,
) -> None:
    ids = [row[0] for row in db.execute("SELECT device_id FROM inventory").fetchall()]
    assert all(EUI64.match(device_id) for device_id in ids)
    orphans = db.execute(
        "SELECT count(*) FROM alerts WHERE device_id NOT IN (SELECT device_id FROM inventory)"
    ).fetchone()
    assert orphans == (0,)


def test_installations_are_shaped_like_gb(db: duckdb.DuckDBPyConnection) -> None:
    per_installation = db.execute("""
        SELECT count(*) FILTER (WHERE device_type = 'CHF') AS chf,
               count(*) FILTER (WHERE device_type = 'ESME') AS esme,
               count(*) FILTER (WHERE device_type = 'GSME') AS gsme,
               count(*) FILTER (WHERE device_type = 'GPF') AS gpf,
               count(DISTINCT region) AS regions
        FROM inventory GROUP BY installation_id ORDER BY installation_id
    """).fetchall()
    assert {row[0] for row in per_installation} == {1}
    assert {row[4] for row in per_installation} == {1}
    complete = per_installation[:-1]  # the last installation may have lost optional devices
    assert {row[1] for row in complete} == {1}
    assert all(gsme == gpf for _, _, gsme, gpf, _ in complete)
    with_gas = sum(gsme for _, _, gsme, _, _ in complete) / len(complete)
    assert 0.7 < with_gas < 0.9
    regions = dict(db.execute("SELECT region, count(*) FROM inventory GROUP BY region").fetchall())
    assert set(regions) == {"north", "central", "south"}


def test_comms_hubs_are_region_specific(db: duckdb.DuckDBPyConnection) -> None:
    makers = db.execute("""
        SELECT region, list(DISTINCT manufacturer ORDER BY manufacturer)
        FROM inventory WHERE device_type = 'CHF' GROUP BY region
    """).fetchall()
    by_region = {region: set(found) for region, found in makers}
    assert not by_region["north"] & (by_region["central"] | by_region["south"])
    assert by_region["central"] == by_region["south"]


def test_model_popularity_is_skewed(db: duckdb.DuckDBPyConnection) -> None:
    shares = [
        row[0]
        for row in db.execute("""
            SELECT count(*) / sum(count(*)) OVER () FROM inventory WHERE device_type = 'ESME'
            GROUP BY model, firmware_version ORDER BY 1 DESC
        """).fetchall()
    ]
    assert shares[0] > 3 * shares[-1]
    assert shares[0] > 0.15


def test_per_device_alert_counts_are_overdispersed(db: duckdb.DuckDBPyConnection) -> None:
    mean, variance = db.execute("""
        SELECT avg(n), var_pop(n) FROM (
            SELECT count(a.device_id) AS n FROM inventory i LEFT JOIN alerts a USING (device_id)
            WHERE i.device_type = 'GSME' GROUP BY i.device_id)
    """).fetchone() or (0, 0)
    assert variance > 2 * mean  # a Poisson count would have variance == mean


def _repeats(db: duckdb.DuckDBPyConnection, code: str, where: str) -> float:
    """Repeated alerts of `code` per installation-day among the installations matching `where`."""
    (rate,) = db.execute(f"""
        WITH inst AS (
            SELECT installation_id FROM inventory i WHERE device_type = 'ESME' AND {where})
        SELECT count(*) FILTER (WHERE f.repeat AND f.alert_code = '{code}')
               / (SELECT count(*) FROM inst) / {DAYS}
        FROM flagged f WHERE f.installation_id IN (SELECT installation_id FROM inst)
    """).fetchone() or (0.0,)
    return float(rate)


def _component_sql(component: dict) -> str:
    return (
        f"manufacturer = '{component['manufacturer']}' AND model = '{component['model']}' "
        f"AND firmware_version = '{component['firmware_version']}'"
    )


def test_the_planted_component_repeats_in_every_region(
    db: duckdb.DuckDBPyConnection, dataset: tuple[Path, dict]
) -> None:
    problem = planted(dataset[1], "component")
    (esme,) = problem["components"]
    code = problem["alert_code"]
    others = _repeats(db, code, f"NOT ({_component_sql(esme)})")
    for region in ("north", "central", "south"):
        rate = _repeats(db, code, f"{_component_sql(esme)} AND region = '{region}'")
        assert rate > 10 * max(others, 0.001), region
    assert len(problem["dmcs"]) > 5


def test_the_planted_combination_flaps_only_together(
    db: duckdb.DuckDBPyConnection, dataset: tuple[Path, dict]
) -> None:
    problem = planted(dataset[1], "combination")
    chf, esme = problem["components"]
    assert (chf["device_type"], esme["device_type"]) == ("CHF", "ESME")

    def flaps(with_chf: bool, with_esme: bool) -> float:
        chf_sql = (
            f"installation_id {'' if with_chf else 'NOT'} IN (SELECT installation_id "
            f"FROM inventory WHERE device_type = 'CHF' AND {_component_sql(chf)})"
        )
        esme_sql = ("" if with_esme else "NOT ") + f"({_component_sql(esme)})"
        return _repeats(db, "81A2", f"{chf_sql} AND {esme_sql} AND region <> 'north'") + _repeats(
            db, "81A3", f"{chf_sql} AND {esme_sql} AND region <> 'north'"
        )

    together = flaps(True, True)
    assert together > 10 * flaps(True, False)
    assert together > 10 * flaps(False, True)


def test_the_planted_region_problem_is_in_the_north_only(
    db: duckdb.DuckDBPyConnection, dataset: tuple[Path, dict]
) -> None:
    problem = planted(dataset[1], "region")
    (esme,) = problem["components"]
    assert problem["regions"] == ["north"]
    north = _repeats(db, problem["alert_code"], f"{_component_sql(esme)} AND region = 'north'")
    elsewhere = _repeats(db, problem["alert_code"], f"{_component_sql(esme)} AND region <> 'north'")
    assert north > 10 * max(elsewhere, 0.001)


def test_the_noisy_device_is_the_loudest_and_partly_throttled(
    db: duckdb.DuckDBPyConnection, dataset: tuple[Path, dict]
) -> None:
    decoy = planted(dataset[1], "noisy_device")
    loudest, throttled = db.execute("""
        SELECT device_id, count(throttled_count) FROM alerts
        GROUP BY device_id ORDER BY count(*) DESC LIMIT 1
    """).fetchone() or ("", 0)
    assert loudest == decoy["device_id"]
    assert throttled > 0
    assert db.execute(
        "SELECT count(*) FROM alerts WHERE throttled_count IS NOT NULL AND device_id <> ?",
        [decoy["device_id"]],
    ).fetchone() == (0,)


def test_the_power_cut_hits_one_region_on_one_day(
    db: duckdb.DuckDBPyConnection, dataset: tuple[Path, dict]
) -> None:
    decoy = planted(dataset[1], "power_cut")
    restored = dict(
        ((str(day), region), n)
        for day, region, n in db.execute("""
            SELECT raised_at::DATE, region, count(*) FROM flagged
            WHERE alert_code = '8F35' AND repeat GROUP BY ALL
        """).fetchall()
    )
    cut = restored[(decoy["date"], "south")]
    assert cut > 5 * restored[("2026-11-02", "south")]
    assert cut > 5 * restored[(decoy["date"], "central")]
    assert decoy["affected_installations"] > 100


def test_the_popular_dmc_is_clean(dataset: tuple[Path, dict]) -> None:
    manifest = dataset[1]
    decoy = planted(manifest, "popular_dmc")
    problem_dmcs = {d for p in manifest["planted"] for d in p["dmcs"]}
    assert decoy["dmcs"][0] not in problem_dmcs
    assert decoy["installations"] >= 5


def test_it_is_deterministic_for_a_seed(tmp_path: Path) -> None:
    def generate(name: str, seed: int) -> tuple[bytes, bytes]:
        out = tmp_path / name
        write_synthetic_dataset(out, devices=300, alerts=3_000, days=2, seed=seed)
        alerts = pq.read_table(out / "alerts").sort_by("raised_at")
        return pq.read_table(out / "inventory.parquet").to_string().encode(), str(
            alerts.to_pylist()
        ).encode()

    assert generate("a", 1) == generate("b", 1)
    assert generate("c", 2) != generate("a", 1)


def test_it_writes_gzip_csv_with_varied_identifiers_and_zones(tmp_path: Path) -> None:
    manifest = write_synthetic_dataset(
        tmp_path, devices=500, alerts=5_000, days=2, seed=3, alerts_format="csv"
    )
    assert manifest["files"]["inventory"] == "inventory.csv"
    rows: list[dict[str, str]] = []
    for name in manifest["files"]["alerts"]:
        assert name.endswith(".csv.gz")
        with gzip.open(tmp_path / name, "rt", newline="") as handle:
            rows += csv.DictReader(handle)
    assert len(rows) == 5_000
    device_ids = [row["device_id"] for row in rows]
    times = [row["raised_at"] for row in rows]
    assert any(re.match(r"^[0-9a-f-]{23}$", d) and d != d.upper() for d in device_ids)
    assert any(re.match(r"^[0-9A-F]{16}$", d) for d in device_ids)
    assert all(t.endswith(("Z", "+00:00", "+01:00")) for t in times)
    assert {t[-6:] for t in times} >= {"+00:00", "+01:00"}
    with (tmp_path / "inventory.csv").open(newline="") as handle:
        inventory = list(csv.DictReader(handle))
    assert len(inventory) == 500
    assert list(inventory[0]) == [
        "device_id", "installation_id", "region", "supplier", "device_type",
        "manufacturer", "model", "hardware_version", "firmware_version",
    ]  # fmt: skip


def test_it_writes_duis_xml_the_engine_reads(tmp_path: Path) -> None:
    from kir.tracker.engine.duis import iter_duis_rows

    manifest = write_synthetic_dataset(
        tmp_path, devices=300, alerts=2_000, days=1, seed=5, alerts_format="duis"
    )
    rows = [row for name in manifest["files"]["alerts"] for row in iter_duis_rows(tmp_path / name)]
    assert len(rows) == 2_000
    assert all(EUI64.match(str(row["device_id"])) for row in rows)
    assert {row["alert_code"] for row in rows} >= {"8F35", "N24"}


def test_it_rejects_unknown_formats_and_oversized_duis(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="alerts_format"):
        write_synthetic_dataset(tmp_path, devices=10, alerts=10, days=1, seed=1, alerts_format="x")
    with pytest.raises(ValueError, match="duis"):
        write_synthetic_dataset(
            tmp_path, devices=10, alerts=10**7, days=1, seed=1, alerts_format="duis"
        )


@pytest.mark.parametrize(("devices", "alerts", "days"), [(2, 0, 3), (10, 10, 1), (50, 1_000, 30)])
def test_it_copes_with_tiny_estates(tmp_path: Path, devices: int, alerts: int, days: int) -> None:
    manifest = write_synthetic_dataset(tmp_path, devices=devices, alerts=alerts, days=days, seed=1)
    assert pq.read_table(tmp_path / "inventory.parquet").num_rows == devices
    assert pq.read_table(tmp_path / "alerts").num_rows == alerts
    assert len(manifest["files"]["alerts"]) == days
