"""The alert pass on Spark (local[2]) gives the report DuckDB gives, field by field.

One Spark session serves the module: the JVM takes seconds to start.
"""

from __future__ import annotations

import random
import shutil

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from kir.tracker.engine.analyse import AnalyseRequest, analyse
from kir.tracker.engine.errors import TrackerError
from tests.tracker.engine.builders import (
    CHF_A,
    CHF_B,
    ESME_X,
    ESME_Y,
    Estate,
    alert,
    at,
    daily_background,
    storm,
    write_alerts,
)
from tests.tracker.engine.scenarios import (
    across_midnight,
    grid_estate,
    meters,
    planted_rows,
)

pytestmark = [pytest.mark.spark, pytest.mark.slow]

if shutil.which("java") is None:  # a silent skip would pass a run that never tested Spark
    pytest.fail("the Spark tests need Java 17: apt-get install -y openjdk-17-jre-headless")
pytest.importorskip("pyspark", reason="PySpark is in the dev extra; `make install` installs it")


def _both(inventory, alerts, **kwargs):
    duck = analyse(AnalyseRequest(inventory=inventory, alerts=alerts, **kwargs))
    spark = analyse(AnalyseRequest(inventory=inventory, alerts=alerts, engine="spark", **kwargs))
    assert (duck.pop("engine"), spark.pop("engine")) == ("duckdb", "spark")
    return duck, spark


def _assert_same(duck, spark):
    for field in duck:  # one field at a time, so that a failure names the field
        assert spark[field] == duck[field], field
    assert set(spark) == set(duck)


def _hostile_rows(estate: Estate) -> list[dict[str, object]]:
    """Every kind of row the rejects and the unknown-device count explain."""
    meter = estate.installations[0].devices["ESME"]
    return [
        alert("not-a-device", "8F35", at(1, 100)),
        alert(meter, "ZZZZ", at(1, 200)),
        {"device_id": meter, "alert_code": "8F35", "raised_at": "yesterday", "throttled_count": 1},
        alert(meter, "8F35", at(1, 300), throttled=0),
        {"device_id": meter, "alert_code": "8F35", "raised_at": "9999-12-31T00:00:00Z"},
        alert("00-DB-00-00-00-00-99-99", "8F35", at(2, 5)),
        alert("00db00000f000098", "8F35", at(2, 6)),  # unknown, in another spelling
        alert(meter.replace("-", ":").lower(), "8F35", at(2, 7)),  # known, in another spelling
    ]


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("spark-planted")
    estate = grid_estate(per_dmc=20)
    rows = planted_rows(estate, seed=9)
    rows += across_midnight(estate, random.Random(4), every=3, throttled=True)
    rows += _hostile_rows(estate)
    random.Random(1).shuffle(rows)  # file order must not matter to either engine
    inventory = estate.write(tmp_path / "inventory.parquet")
    half = len(rows) // 2
    first = write_alerts(tmp_path / "alerts-1.parquet", rows[:half])
    second = write_alerts(tmp_path / "alerts-2.parquet", rows[half:])
    return inventory, [str(first), str(second)]


def test_it_reports_what_duckdb_reports(planted):
    duck, spark = _both(*planted)
    assert len(duck["findings"]) >= 3, "the scenario must have findings to compare"
    assert duck["inputs"]["alerts"]["rejected_rows"] == 5
    assert duck["inputs"]["alerts"]["unknown_device_alerts"] == 2
    _assert_same(duck, spark)


def test_it_reports_a_window_as_duckdb_does(planted):
    from datetime import date

    duck, spark = _both(*planted, day_from=date(2024, 3, 2), day_to=date(2024, 3, 4))
    assert duck["window"]["days"] == 3
    _assert_same(duck, spark)


@pytest.fixture(scope="module")
def dominated(tmp_path_factory):
    """Problem DMCs shown, too small, and one supplier's: the disclosure audiences differ."""
    tmp_path = tmp_path_factory.mktemp("spark-disclosure")
    estate = Estate()
    for k in range(40):
        estate.add("north", f"SUP{k % 3}", [CHF_A, ESME_X])
        estate.add("north", f"SUP{k % 3}", [CHF_A, ESME_Y])
        estate.add("north", "SUP1", [CHF_B, ESME_X])
    for k in range(160):
        estate.add("north", f"SUP{k % 3}", [CHF_A, ("ESME", "3333", "00000033", "00000001")])
    rng = random.Random(21)
    rows = daily_background(estate, 5, rng)
    problem = meters(estate, CHF_A, ESME_Y) + meters(estate, CHF_B, ESME_X)
    rows += storm(problem, range(5), rng, chance=1.0)
    inventory = estate.write(tmp_path / "inventory.csv")
    return inventory, [str(write_alerts(tmp_path / "alerts.parquet", rows))]


@pytest.mark.parametrize(
    "audience, supplier", [("parties", None), ("dcc", "SUP2"), ("parties", "SUP1")]
)
def test_it_discloses_what_duckdb_discloses(dominated, audience, supplier):
    duck, spark = _both(*dominated, audience=audience, supplier=supplier)
    assert duck["findings"], "the scenario must have findings to compare"
    _assert_same(duck, spark)


def test_it_names_a_missing_column(tmp_path, planted):
    inventory, _ = planted
    bad = tmp_path / "alerts.parquet"
    pq.write_table(pa.table({"device_id": ["00-DB-00-00-00-00-00-01"], "code": ["8F35"]}), bad)
    with pytest.raises(TrackerError, match="missing column 'alert_code'"):
        analyse(AnalyseRequest(inventory=inventory, alerts=[str(bad)], engine="spark"))


def test_it_names_a_column_of_the_wrong_type(tmp_path, planted):
    inventory, _ = planted
    bad = tmp_path / "alerts.parquet"
    table = {"device_id": ["00-DB-00-00-00-00-00-01"], "alert_code": ["8F35"], "raised_at": [1.5]}
    pq.write_table(pa.table(table), bad)
    with pytest.raises(TrackerError, match=r"column 'raised_at': expected .*, found double"):
        analyse(AnalyseRequest(inventory=inventory, alerts=[str(bad)], engine="spark"))


def test_it_names_a_file_that_is_not_parquet(tmp_path, planted):
    inventory, _ = planted
    bad = tmp_path / "alerts.parquet"
    bad.write_text("device_id,alert_code,raised_at\n")
    with pytest.raises(TrackerError, match="not readable as Parquet"):
        analyse(AnalyseRequest(inventory=inventory, alerts=[str(bad)], engine="spark"))


def test_it_refuses_an_ingest_state(tmp_path, planted):
    inventory, _ = planted
    with pytest.raises(TrackerError, match="--engine spark reads alert files"):
        analyse(AnalyseRequest(inventory=inventory, state_dir=tmp_path, engine="spark"))
