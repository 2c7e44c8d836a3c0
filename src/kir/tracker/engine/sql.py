"""Every SQL statement of the tracker, in one place.

The statements stick to window functions, GROUPING SETS and CASE so that the same analysis can be
moved to Spark SQL; the DuckDB-only pieces are the table functions (read_csv, read_parquet) and the
hex cast ('0x...'::UBIGINT), each produced by one small function below.
"""

from __future__ import annotations

from collections.abc import Sequence

from kir.tracker.engine.rules import Rules

REGIONS = ("north", "central", "south")
UNKNOWN_REGION = "?unknown"
REJECTED_REGION = "?rejected"
_MICROS = 1_000_000


def quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def file_list(paths: Sequence[str]) -> str:
    return "[" + ", ".join(quote(p) for p in paths) + "]"


def read_parquet(paths: Sequence[str]) -> str:
    return f"read_parquet({file_list(paths)}, union_by_name = true)"


def read_csv(paths: Sequence[str], header: Sequence[str], *, store_rejects: bool = False) -> str:
    # Every column is read as text: the casts below decide what is malformed, row by row.
    columns = "{" + ", ".join(f"{quote(name)}: 'VARCHAR'" for name in header) + "}"
    rejects = ", store_rejects = true, ignore_errors = true" if store_rejects else ""
    return (
        f"read_csv({file_list(paths)}, header = true, auto_detect = false, columns = {columns}, "
        f"delim = ',', quote = '\"', escape = '\"', compression = 'auto'{rejects})"
    )


def hex_key(expr: str, digits: int) -> str:
    """The hex digits of an identifier as an integer key, NULL when they are not `digits` hex."""
    text = f"upper(translate(trim(CAST({expr} AS VARCHAR)), '-:._ ', ''))"
    return f"CASE WHEN length({text}) = {digits} THEN TRY_CAST('0x' || {text} AS UBIGINT) END"


def hex_text(expr: str, digits: int) -> str:
    """Canonical upper-case hex (as kir.identifiers.normalise_hex), NULL when malformed."""
    text = f"upper(translate(trim(CAST({expr} AS VARCHAR)), '-:._ ', ''))"
    stripped = f"(CASE WHEN starts_with({text}, '0X') THEN {text}[3:] ELSE {text} END)"
    return (
        f"CASE WHEN length({stripped}) = {digits} "
        f"AND TRY_CAST('0x' || {stripped} AS UBIGINT) IS NOT NULL THEN {stripped} END"
    )


def normalised_alerts(source: str, *, has_throttled: bool) -> str:
    """Typed alert rows; `valid` is false for rows the rejects file will explain."""
    throttled = "TRY_CAST(throttled_count AS INTEGER)" if has_throttled else "NULL::INTEGER"
    return f"""
        SELECT dev_key, code, ts_us, n,
               dev_key IS NOT NULL AND ts_us IS NOT NULL AND n >= 1 AND code IS NOT NULL AS valid
        FROM (
            SELECT {hex_key("device_id", 16)} AS dev_key,
                   upper(trim(alert_code)) AS code,
                   epoch_us(TRY_CAST(raised_at AS TIMESTAMPTZ)) AS ts_us,
                   coalesce({throttled}, 1) AS n
            FROM {source}
        )"""


def _stream(rules: Rules) -> str:
    """Codes of a flapping pair share one ordered stream so that one can follow the other."""
    if not rules.flapping:
        return "code"
    cases = " ".join(
        f"WHEN code IN ({quote(p.first)}, {quote(p.second)}) THEN {quote(p.first + '>' + p.second)}"
        for p in rules.flapping
    )
    return f"CASE {cases} ELSE code END"


def _repeat_window_us(rules: Rules) -> str:
    cases = " ".join(
        f"WHEN {quote(code)} THEN {seconds * _MICROS}"
        for code, seconds in sorted(rules.code_windows.items())
    )
    default = rules.repeat_window_seconds * _MICROS
    return f"CASE code {cases} ELSE {default} END" if cases else str(default)


def backward_flag(rules: Rules) -> str:
    """Superfluous by what came before: a repeat, or the second alert of a flapping pair."""
    window = _repeat_window_us(rules)
    terms = [f"(prev_code = code AND ts_us - prev_ts <= {window} AND {window} > 0)"]
    for pair in rules.flapping:
        terms.append(
            f"(code = {quote(pair.second)} AND prev_code = {quote(pair.first)} "
            f"AND ts_us - prev_ts <= {pair.window_seconds * _MICROS})"
        )
    return "coalesce(" + " OR ".join(terms) + ", false)"


def forward_flag(rules: Rules) -> str:
    """Superfluous by what came after: the first alert of a flapping pair that was undone."""
    terms = [
        f"(code = {quote(p.first)} AND next_code = {quote(p.second)} "
        f"AND next_ts - ts_us <= {p.window_seconds * _MICROS})"
        for p in rules.flapping
    ]
    return "coalesce(" + " OR ".join(terms) + ", false)" if terms else "false"


def flagged_alerts(source: str, rules: Rules, *, with_carry: bool) -> str:
    """Each alert with its neighbours in its device's stream and its superfluous count.

    A message standing for n throttled alerts contributes n - 1 superfluous alerts by itself.
    Carried rows (yesterday's last alerts) only add what today's first alert reveals about them.
    """
    carry_cols = (
        "carried, carried_flag" if with_carry else "false AS carried, false AS carried_flag"
    )
    back, fwd = backward_flag(rules), forward_flag(rules)
    return f"""
        SELECT dev_key, code, ts_us, n, valid, carried, carried_flag, stream,
               CASE WHEN NOT valid THEN 0
                    WHEN carried THEN CASE WHEN {fwd} AND NOT carried_flag THEN 1 ELSE 0 END
                    ELSE n - 1 + CASE WHEN {back} OR {fwd} THEN 1 ELSE 0 END END AS sup,
               CASE WHEN carried OR NOT valid THEN 0 ELSE n END AS alerts,
               {back} AS back_flag
        FROM (
            SELECT *,
                   lag(code) OVER w AS prev_code, lag(ts_us) OVER w AS prev_ts,
                   lead(code) OVER w AS next_code, lead(ts_us) OVER w AS next_ts
            FROM (SELECT *, CASE WHEN valid THEN {_stream(rules)} END AS stream, {carry_cols}
                  FROM ({source}))
            WINDOW w AS (PARTITION BY dev_key, stream ORDER BY ts_us, code)
        )"""


def day_expr(ts: str = "ts_us") -> str:
    return f"CAST(make_timestamp({ts}) AS DATE)"


def aggregates(flagged: str, *, day_from: str | None, day_to: str | None, by_day: bool) -> str:
    """Reduce flagged alerts to the two small tables the statistics need.

    Grouping set 1: alerts and superfluous alerts per day, region, DMC and code.
    Grouping set 2: superfluous alerts per device (only devices with any; alerts from devices
    missing from the inventory keep their device key so they can be reported).
    """
    window = []
    if day_from:
        window.append(f"day >= DATE {quote(day_from)}")
    if day_to:
        window.append(f"day <= DATE {quote(day_to)}")
    in_window = " AND ".join(window) or "true"
    device_set = (
        "(day, region, dmc_key, code, sup_dev)" if by_day else "(region, dmc_key, code, sup_dev)"
    )
    return f"""
        SELECT GROUPING(sup_dev) = 0 AS device_level, day, region, dmc_key, code, sup_dev,
               count(*) AS messages, sum(alerts) AS alerts, sum(sup) AS superfluous
        FROM (
            SELECT f.code, f.alerts, f.sup,
                   CASE WHEN f.valid THEN {day_expr("f.ts_us")} END AS day,
                   CASE WHEN NOT f.valid THEN {quote(REJECTED_REGION)}
                        ELSE coalesce(d.region, {quote(UNKNOWN_REGION)}) END AS region,
                   d.dmc_key,
                   CASE WHEN f.valid AND (d.region IS NULL OR f.sup > 0)
                        THEN f.dev_key END AS sup_dev
            FROM ({flagged}) f LEFT JOIN device d ON f.dev_key = d.dev_key
        )
        WHERE NOT (region <> {quote(REJECTED_REGION)} AND NOT ({in_window}))
        GROUP BY GROUPING SETS ((day, region, dmc_key, code), {device_set})"""


def checked_inventory(source: str) -> str:
    """Inventory rows normalised, each with the reason it is rejected (NULL when it is fine)."""
    return f"""
        SELECT *,
            CASE WHEN dev_key IS NULL THEN 'device_id: expected an EUI-64 (16 hex digits)'
                 WHEN installation_id IS NULL THEN 'installation_id: empty'
                 WHEN region IS NULL OR region NOT IN ({", ".join(quote(r) for r in REGIONS)})
                      THEN 'region: expected north, central or south'
                 WHEN supplier IS NULL THEN 'supplier: empty'
                 WHEN device_type IS NULL THEN 'device_type: empty'
                 WHEN manufacturer IS NULL THEN 'manufacturer: expected 4 hex digits'
                 WHEN model IS NULL THEN 'model: expected 8 hex digits'
                 WHEN firmware_version IS NULL THEN 'firmware_version: expected 8 hex digits'
                 WHEN dup_rank > 1 THEN 'device_id: duplicate of an earlier row'
            END AS reason
        FROM (
            SELECT *, row_number() OVER (PARTITION BY dev_key ORDER BY row_no) AS dup_rank
            FROM (
                SELECT row_number() OVER () AS row_no,
                       raw_device_id, {hex_key("raw_device_id", 16)} AS dev_key,
                       nullif(trim(raw_installation_id), '') AS installation_id,
                       lower(trim(raw_region)) AS region,
                       nullif(trim(raw_supplier), '') AS supplier,
                       nullif(upper(trim(raw_device_type)), '') AS device_type,
                       {hex_text("raw_manufacturer", 4)} AS manufacturer,
                       {hex_text("raw_model", 8)} AS model,
                       coalesce(trim(raw_hardware_version), '') AS hardware_version,
                       {hex_text("raw_firmware_version", 8)} AS firmware_version
                FROM (SELECT CAST(device_id AS VARCHAR) AS raw_device_id,
                             CAST(installation_id AS VARCHAR) AS raw_installation_id,
                             CAST(region AS VARCHAR) AS raw_region,
                             CAST(supplier AS VARCHAR) AS raw_supplier,
                             CAST(device_type AS VARCHAR) AS raw_device_type,
                             CAST(manufacturer AS VARCHAR) AS raw_manufacturer,
                             CAST(model AS VARCHAR) AS raw_model,
                             CAST(hardware_version AS VARCHAR) AS raw_hardware_version,
                             CAST(firmware_version AS VARCHAR) AS raw_firmware_version
                      FROM {source})
            )
        )"""


# An installation's DMC signature: its distinct components in a fixed order. Python turns each
# distinct signature into the catalogue's DMC id (there are few), so no per-device Python runs.
INSTALLATIONS = """
    CREATE OR REPLACE TEMP TABLE installation AS
    SELECT row_number() OVER (ORDER BY installation_id) AS inst_key, installation_id,
           min(region) AS region, min(supplier) AS supplier,
           array_to_string(list_sort(list_distinct(list(
               device_type || '/' || manufacturer || '/' || model || '/' || firmware_version
           ))), '|') AS signature
    FROM inventory_checked WHERE reason IS NULL
    GROUP BY installation_id"""

DISTINCT_SIGNATURES = "SELECT DISTINCT signature FROM installation ORDER BY signature"

INSTALLATION_DMCS = """
    CREATE OR REPLACE TEMP TABLE installation_dmc AS
    SELECT n.inst_key, n.installation_id, n.region, n.supplier, s.dmc_key
    FROM installation n JOIN dmc s ON s.signature = n.signature"""

DEVICES = """
    CREATE OR REPLACE TEMP TABLE device AS
    SELECT i.dev_key, n.inst_key, n.region, n.dmc_key
    FROM inventory_checked i JOIN installation_dmc n ON n.installation_id = i.installation_id
    WHERE i.reason IS NULL"""

DMC_REGION_SUPPLIERS = """
    SELECT region, dmc_key, supplier, count(*) AS installations
    FROM installation_dmc GROUP BY ALL ORDER BY ALL"""

INVENTORY_REJECTS = """
    SELECT row_no, reason, raw_device_id AS device_id FROM inventory_checked
    WHERE reason IS NOT NULL ORDER BY row_no"""


def _regions_list() -> str:
    return ", ".join(quote(r) for r in REGIONS)


def installation_superfluous() -> str:
    return f"""
        CREATE OR REPLACE TEMP TABLE inst_sup AS
        SELECT s.region, s.dmc_key, s.code, d.inst_key, sum(s.superfluous) AS superfluous
        FROM dev_sup s JOIN device d ON d.dev_key = s.dev_key
        WHERE s.region IN ({_regions_list()}) AND s.superfluous > 0
        GROUP BY ALL"""


def cells(cap: int, excluded: list[str]) -> str:
    """One row per region x code x DMC: every DMC of a region, for every code seen there."""
    skip = " AND code NOT IN (" + ", ".join(quote(c) for c in excluded) + ")" if excluded else ""
    return f"""
        WITH traffic AS (
            SELECT region, dmc_key, code, sum(alerts) AS alerts, sum(superfluous) AS sup
            FROM agg_day WHERE region IN ({_regions_list()}){skip} GROUP BY ALL),
        inst AS (
            SELECT s.region, s.dmc_key, s.code,
                   count(*) FILTER (WHERE s.superfluous >= t.threshold) AS affected,
                   sum(least(s.superfluous, {int(cap)})) AS capped, max(s.superfluous) AS top
            FROM inst_sup s JOIN affected_threshold t ON t.region = s.region AND t.code = s.code
            GROUP BY ALL),
        codes AS (SELECT DISTINCT region, code FROM traffic),
        pop AS (SELECT region, dmc_key, count(*) AS installations
                FROM installation_dmc GROUP BY ALL)
        SELECT c.region, c.code, p.dmc_key, p.installations,
               coalesce(t.alerts, 0) AS alerts, coalesce(t.sup, 0) AS sup,
               coalesce(i.affected, 0) AS affected, coalesce(i.capped, 0) AS capped,
               coalesce(i.top, 0) AS top
        FROM codes c JOIN pop p ON p.region = c.region
        LEFT JOIN traffic t ON t.region = c.region AND t.code = c.code AND t.dmc_key = p.dmc_key
        LEFT JOIN inst i ON i.region = c.region AND i.code = c.code AND i.dmc_key = p.dmc_key
        ORDER BY c.region, c.code, p.dmc_key"""


def region_code_superfluous(cap: int) -> str:
    return f"""
        SELECT s.region, s.code, sum(least(s.superfluous, {int(cap)})) AS capped, p.installations
        FROM inst_sup s
        JOIN (SELECT region, count(*) AS installations FROM installation_dmc GROUP BY region) p
          ON p.region = s.region
        GROUP BY ALL"""


def cell_days() -> str:
    return f"""
        SELECT region, code, dmc_key, day, sum(superfluous) AS sup
        FROM agg_day WHERE region IN ({_regions_list()}) AND superfluous > 0
        GROUP BY ALL"""


def region_traffic() -> str:
    return f"""
        SELECT region, sum(alerts) AS alerts, sum(superfluous) AS sup
        FROM agg_day WHERE region IN ({_regions_list()}) GROUP BY region"""


def drilldown(dmc_keys: list[int], supplier: str | None, limit: int) -> str:
    keys = ", ".join(str(int(k)) for k in dmc_keys)
    only = f" AND n.supplier = {quote(supplier)}" if supplier else ""
    return f"""
        SELECT s.dev_key, n.installation_id, n.supplier, s.superfluous
        FROM dev_sup s JOIN device d ON d.dev_key = s.dev_key
        JOIN installation_dmc n ON n.inst_key = d.inst_key
        WHERE s.region = ? AND s.code = ? AND s.dmc_key IN ({keys}) AND s.superfluous > 0{only}
        ORDER BY s.superfluous DESC, s.dev_key LIMIT {int(limit)}"""
