"""Queries over the pass's aggregates: the cells, typical rates, region traffic, drill-down."""

from __future__ import annotations

from kir.tracker.engine.sql import REGIONS_SQL, quote


def installation_superfluous() -> str:
    return f"""
        CREATE OR REPLACE TEMP TABLE inst_sup AS
        SELECT s.region, s.dmc_key, s.code, d.inst_key, sum(s.superfluous) AS superfluous
        FROM dev_sup s JOIN device d ON d.dev_key = s.dev_key
        WHERE s.region IN ({REGIONS_SQL}) AND s.superfluous > 0
        GROUP BY ALL"""


def cells(cap: int, excluded: list[str]) -> str:
    """One row per region x code x DMC: every DMC of a region, for every code seen there."""
    skip = " AND code NOT IN (" + ", ".join(quote(c) for c in excluded) + ")" if excluded else ""
    return f"""
        WITH traffic AS (
            SELECT region, dmc_key, code, sum(alerts) AS alerts, sum(superfluous) AS sup
            FROM agg_day WHERE region IN ({REGIONS_SQL}){skip} GROUP BY ALL),
        inst AS (
            SELECT s.region, s.dmc_key, s.code,
                   count(*) FILTER (WHERE s.superfluous >= t.threshold) AS affected,
                   sum(least(s.superfluous, {int(cap)})) AS capped,
                   sum(least(s.superfluous, {int(cap)})::DOUBLE ^ 2) AS capped_sq,
                   max(s.superfluous) AS top
            FROM inst_sup s JOIN affected_threshold t ON t.region = s.region AND t.code = s.code
            GROUP BY ALL),
        codes AS (SELECT DISTINCT region, code FROM traffic),
        pop AS (SELECT region, dmc_key, count(*) AS installations
                FROM installation_dmc GROUP BY ALL)
        SELECT row_number() OVER (ORDER BY c.region, c.code, p.dmc_key) - 1 AS idx,
               c.region, c.code, p.dmc_key, p.installations,
               coalesce(t.alerts, 0) AS alerts, coalesce(t.sup, 0) AS sup,
               coalesce(i.affected, 0) AS affected, coalesce(i.capped, 0) AS capped,
               coalesce(i.capped_sq, 0) AS capped_sq, coalesce(i.top, 0) AS top
        FROM codes c JOIN pop p ON p.region = c.region
        LEFT JOIN traffic t ON t.region = c.region AND t.code = c.code AND t.dmc_key = p.dmc_key
        LEFT JOIN inst i ON i.region = c.region AND i.code = c.code AND i.dmc_key = p.dmc_key
        ORDER BY c.region, c.code, p.dmc_key"""


# The (region, code) of each cell group, numbered as load_cells numbers them (dense_rank).
CELL_GROUPS = "SELECT DISTINCT region, code FROM cell ORDER BY region, code"


def typical_rates(cap: int) -> str:
    """Per region and code, the installation-weighted median of its DMCs' capped rates.

    Every DMC of the region counts, those without any superfluous alert at rate 0: the median
    is the first rate, in ascending order, at which half the region's installations are reached.
    """
    return f"""
        WITH sup AS (
            SELECT region, code, dmc_key, sum(least(superfluous, {int(cap)})) AS capped
            FROM inst_sup GROUP BY ALL),
        pop AS (SELECT region, dmc_key, count(*) AS installations
                FROM installation_dmc GROUP BY ALL),
        grid AS (
            SELECT c.region, c.code, p.installations,
                   coalesce(s.capped, 0) / p.installations AS rate
            FROM (SELECT DISTINCT region, code FROM sup) c
            JOIN pop p ON p.region = c.region
            LEFT JOIN sup s
              ON s.region = c.region AND s.code = c.code AND s.dmc_key = p.dmc_key),
        ranked AS (
            SELECT region, code, rate,
                   sum(installations) OVER (PARTITION BY region, code ORDER BY rate
                                            ROWS UNBOUNDED PRECEDING) AS reached,
                   sum(installations) OVER (PARTITION BY region, code) AS total
            FROM grid)
        SELECT region, code, min(rate) FILTER (WHERE reached >= total / 2) AS typical
        FROM ranked GROUP BY ALL ORDER BY ALL"""


def cell_days(first_day: str) -> str:
    """Superfluous alerts per cell (its index in the cell table) and day of the window."""
    return f"""
        SELECT c.idx, datediff('day', DATE {quote(first_day)}, a.day) AS day_index,
               sum(a.superfluous) AS sup
        FROM agg_day a JOIN cell c
          ON c.region = a.region AND c.code = a.code AND c.dmc_key = a.dmc_key
        WHERE a.superfluous > 0 GROUP BY ALL"""


def region_traffic() -> str:
    return f"""
        SELECT region, sum(alerts) AS alerts, sum(superfluous) AS sup
        FROM agg_day WHERE region IN ({REGIONS_SQL}) GROUP BY region"""


def drilldown(supplier: str | None, limit: int) -> str:
    """The devices behind each finding, most superfluous first; `wanted` lists finding x DMC.

    A device has a dev_sup row per day (see scan.py): they are summed.
    """
    only = f" WHERE n.supplier = {quote(supplier)}" if supplier else ""
    return f"""
        SELECT finding, device_id, installation_id, supplier, superfluous FROM (
            SELECT s.finding, d.device_id, n.installation_id, n.supplier, s.superfluous,
                   row_number() OVER (PARTITION BY s.finding
                                      ORDER BY s.superfluous DESC, d.device_id) AS position
            FROM (SELECT w.finding, s.dev_key, sum(s.superfluous) AS superfluous
                  FROM wanted w
                  JOIN dev_sup s
                    ON s.region = w.region AND s.code = w.code AND s.dmc_key = w.dmc_key
                  WHERE s.superfluous > 0 GROUP BY ALL) s
            JOIN device d ON d.dev_key = s.dev_key
            JOIN installation_dmc n ON n.inst_key = d.inst_key{only})
        WHERE position <= {int(limit)} ORDER BY finding, position"""


def finding_days(first_day: str) -> str:
    """Per finding (`wanted` lists finding x DMC) and day of the window: alerts, superfluous
    alerts, and installations whose superfluous alerts that day reach the day's threshold."""
    return f"""
        WITH traffic AS (
            SELECT w.finding, datediff('day', DATE {quote(first_day)}, a.day) AS day_index,
                   sum(a.alerts) AS alerts, sum(a.superfluous) AS sup
            FROM wanted w JOIN agg_day a
              ON a.region = w.region AND a.code = w.code AND a.dmc_key = w.dmc_key
            WHERE a.day IS NOT NULL GROUP BY ALL),
        installation_day AS (
            SELECT w.finding, s.day, w.region, w.code, d.inst_key, sum(s.superfluous) AS sup
            FROM wanted w JOIN dev_sup s
              ON s.region = w.region AND s.code = w.code AND s.dmc_key = w.dmc_key
            JOIN device d ON d.dev_key = s.dev_key
            WHERE s.superfluous > 0 AND s.day IS NOT NULL GROUP BY ALL),
        affected AS (
            SELECT i.finding, datediff('day', DATE {quote(first_day)}, i.day) AS day_index,
                   count(*) FILTER (WHERE i.sup >= t.day_threshold) AS affected
            FROM installation_day i JOIN affected_threshold t
              ON t.region = i.region AND t.code = i.code
            GROUP BY ALL)
        SELECT t.finding, t.day_index, t.alerts, t.sup, coalesce(a.affected, 0) AS affected
        FROM traffic t LEFT JOIN affected a USING (finding, day_index)"""
