"""The analysis's SQL, in one place: the estate, the pass over the alerts, the cells.

Small bookkeeping queries (reading reject tables, counting set-aside history) sit beside the
Python that uses them in rejects.py, scan.py and state.py.

The statements stick to window functions, GROUP BY and CASE so that the same analysis can be
moved to Spark SQL; the DuckDB-only pieces are the table functions (read_csv, read_parquet),
`hash`, `regexp_*` and the list functions (list_position, list_extract), each produced by one
small function or constant below.
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


# The regions as an SQL list, for `region IN (...)` and list functions.
REGIONS_SQL = ", ".join(quote(r) for r in REGIONS)


def file_list(paths: Sequence[str]) -> str:
    return "[" + ", ".join(quote(p) for p in paths) + "]"


def read_parquet(paths: Sequence[str], *, row_numbers: bool = False) -> str:
    numbered = ", file_row_number = true" if row_numbers else ""
    return f"read_parquet({file_list(paths)}, union_by_name = true{numbered})"


def numbered_rows(relation: str, *, parquet: bool) -> str:
    """The relation with kir_row_no, each row's 1-based number in its file, for reject messages.

    Parquet numbers its rows as it reads them, in parallel; a CSV needs row_number() over the
    whole file, which runs in one thread.
    """
    number = "file_row_number + 1" if parquet else "row_number() OVER ()"
    return f"(SELECT *, {number} AS kir_row_no FROM {relation})"


def read_csv(paths: Sequence[str], header: Sequence[str], *, store_rejects: bool = False) -> str:
    # Every column is read as text: the casts below decide what is malformed, row by row.
    columns = "{" + ", ".join(f"{quote(name)}: 'VARCHAR'" for name in header) + "}"
    rejects = ", store_rejects = true, ignore_errors = true" if store_rejects else ""
    return (
        f"read_csv({file_list(paths)}, header = true, auto_detect = false, columns = {columns}, "
        f"delim = ',', quote = '\"', escape = '\"', compression = 'auto'{rejects})"
    )


_CANONICAL_DEVICE_ID = "'[0-9A-F]{2}(-[0-9A-F]{2}){7}'"


def canonical_device_id(expr: str) -> str:
    """The EUI-64 as kir.identifiers.normalise_device_id writes it (00-DB-12-...), or NULL.

    Ids already in that form pass through a cheap pattern test; only the others pay for the
    string surgery.
    """
    digits = f"upper(replace(replace(replace(trim({expr}), '-', ''), ':', ''), ' ', ''))"
    rebuilt = f"rtrim(regexp_replace({digits}, '(..)', '\\1-', 'g'), '-')"
    return (
        f"CASE WHEN regexp_full_match({expr}, {_CANONICAL_DEVICE_ID}) THEN {expr} "
        f"WHEN regexp_full_match({digits}, '[0-9A-F]{{16}}') THEN {rebuilt} END"
    )


def device_key(expr: str, *, trust_canonical: bool) -> str:
    """A 64-bit key for a device: the hash of its canonical id (NULL when the id is malformed).

    Partitioning and joining on an integer instead of a 23-character string is what makes the
    pass fast. With trust_canonical, a 23-character id is hashed as it is (no per-row string
    work); the scan checks afterwards whether that missed any device (see scan.py).
    """
    canonical = canonical_device_id(f"CAST({expr} AS VARCHAR)")
    normalised = f"CASE WHEN ({canonical}) IS NOT NULL THEN hash({canonical}) END"
    if not trust_canonical:
        return normalised
    return f"CASE WHEN strlen({expr}) = 23 THEN hash({expr}) ELSE {normalised} END"


def hex_text(expr: str, digits: int) -> str:
    """Canonical upper-case hex (as kir.identifiers.normalise_hex), NULL when malformed."""
    pattern = f"'[0-9A-F]{{{digits}}}'"
    text = f"upper(replace(replace(replace(trim({expr}), '-', ''), ':', ''), '.', ''))"
    stripped = f"regexp_replace({text}, '^0X', '')"
    return (
        f"CASE WHEN regexp_full_match({expr}, {pattern}) THEN {expr} "
        f"WHEN regexp_full_match({stripped}, {pattern}) THEN {stripped} END"
    )


def normalised_alerts(source: str, *, has_throttled: bool, trust_canonical: bool) -> str:
    """Typed alert rows; `valid` is false for rows the rejects file will explain."""
    throttled = "TRY_CAST(throttled_count AS INTEGER)" if has_throttled else "NULL::INTEGER"
    return f"""
        SELECT dev_key, code, ts_us, n,
               dev_key IS NOT NULL AND ts_us IS NOT NULL AND n >= 1 AND code IS NOT NULL AS valid
        FROM (
            SELECT {device_key("device_id", trust_canonical=trust_canonical)} AS dev_key,
                   upper(trim(alert_code)) AS code,
                   epoch_us(TRY_CAST(raised_at AS TIMESTAMPTZ)) AS ts_us,
                   coalesce({throttled}, 1) AS n
            FROM {source}
        )"""


class CodeKeys:
    """How the pass writes alert codes: as they are, or as small integers.

    DuckDB sorts and groups a small integer far faster than a string, so when the codes are
    known before the pass (Parquet inputs, see scan.py) each becomes its position in the sorted
    list of codes, and the strings come back after the GROUP BY. Sorted, so that the integers
    order ties exactly as the strings do.
    """

    def __init__(self, codes: Sequence[str] | None = None):
        self.codes = sorted(set(codes)) if codes is not None else None

    def _array(self) -> str:
        return "[" + ", ".join(quote(c) for c in self.codes or ()) + "]"

    def literal(self, code: str) -> str:
        if self.codes is None:
            return quote(code)
        return str(self.codes.index(code) + 1) if code in self.codes else "0"

    def encode(self, source: str) -> str:
        """The source with its code column as the key the pass works on."""
        if self.codes is None:
            return source
        return f"SELECT * REPLACE (list_position({self._array()}, code) AS code) FROM ({source})"

    def decode(self, expr: str) -> str:
        return expr if self.codes is None else f"list_extract({self._array()}, {expr})"


STRING_CODES = CodeKeys()


def _stream(rules: Rules, keys: CodeKeys) -> str:
    """Codes of a flapping pair share one ordered stream (named by the first) so that one can
    follow the other."""
    if not rules.flapping:
        return "code"
    cases = " ".join(
        f"WHEN code IN ({keys.literal(p.first)}, {keys.literal(p.second)}) "
        f"THEN {keys.literal(p.first)}"
        for p in rules.flapping
    )
    return f"CASE {cases} ELSE code END"


def _repeat_window_us(rules: Rules, keys: CodeKeys) -> str:
    cases = " ".join(
        f"WHEN {keys.literal(code)} THEN {seconds * _MICROS}"
        for code, seconds in sorted(rules.code_windows.items())
    )
    default = rules.repeat_window_seconds * _MICROS
    return f"CASE code {cases} ELSE {default} END" if cases else str(default)


def backward_flag(rules: Rules, keys: CodeKeys = STRING_CODES) -> str:
    """Superfluous by what came before: a repeat, or the second alert of a flapping pair."""
    window = _repeat_window_us(rules, keys)
    terms = [f"(prev_code = code AND ts_us - prev_ts <= {window} AND {window} > 0)"]
    for pair in rules.flapping:
        terms.append(
            f"(code = {keys.literal(pair.second)} AND prev_code = {keys.literal(pair.first)} "
            f"AND ts_us - prev_ts <= {pair.window_seconds * _MICROS})"
        )
    return "coalesce(" + " OR ".join(terms) + ", false)"


def forward_flag(rules: Rules, keys: CodeKeys = STRING_CODES) -> str:
    """Superfluous by what came after: the first alert of a flapping pair that was undone."""
    terms = [
        f"(code = {keys.literal(p.first)} AND next_code = {keys.literal(p.second)} "
        f"AND next_ts - ts_us <= {p.window_seconds * _MICROS})"
        for p in rules.flapping
    ]
    return "coalesce(" + " OR ".join(terms) + ", false)" if terms else "false"


def flagged_alerts(
    source: str, rules: Rules, *, with_carry: bool, keys: CodeKeys = STRING_CODES
) -> str:
    """Each alert with its neighbours in its device's stream and its superfluous count.

    A message standing for n throttled alerts contributes n - 1 superfluous alerts by itself.
    Carried rows (yesterday's last alerts) only add what today's first alert reveals about them.

    The window is partitioned by device alone and ordered by stream first: DuckDB runs that
    about twice as fast as partitioning by device and stream, and it is equivalent, because
    every flag compares a row's code with its neighbour's, and two streams never share a code,
    so a neighbour from the next stream never matches. Invalid rows (stream NULL, sorted last)
    show their neighbours no code (live_code), so they never match either.
    """
    back, fwd = backward_flag(rules, keys), forward_flag(rules, keys)
    if with_carry:
        carry_cols = "carried, carried_flag, "
        sup = (
            f"CASE WHEN NOT valid THEN 0 "
            f"WHEN carried THEN CASE WHEN {fwd} AND NOT carried_flag THEN 1 ELSE 0 END "
            f"ELSE n - 1 + CASE WHEN {back} OR {fwd} THEN 1 ELSE 0 END END"
        )
        alerts = "CASE WHEN carried OR NOT valid THEN 0 ELSE n END"
        message = "CASE WHEN carried THEN 0 ELSE 1 END"  # yesterday's row is not today's message
    else:
        # A one-shot run has no carried rows: no constant columns riding through the sort.
        carry_cols = ""
        sup = (
            f"CASE WHEN NOT valid THEN 0 "
            f"ELSE n - 1 + CASE WHEN {back} OR {fwd} THEN 1 ELSE 0 END END"
        )
        alerts = "CASE WHEN valid THEN n ELSE 0 END"
        message = "1"
    return f"""
        SELECT dev_key, code, ts_us, n, valid, {carry_cols}stream, {sup} AS sup,
               {alerts} AS alerts, {message} AS message, {back} AS back_flag
        FROM (
            SELECT * EXCLUDE (live_code),
                   lag(live_code) OVER w AS prev_code, lag(ts_us) OVER w AS prev_ts,
                   lead(live_code) OVER w AS next_code, lead(ts_us) OVER w AS next_ts
            FROM (SELECT *, CASE WHEN valid THEN {_stream(rules, keys)} END AS stream,
                         CASE WHEN valid THEN code END AS live_code
                  FROM ({keys.encode(source)}))
            WINDOW w AS (PARTITION BY dev_key ORDER BY stream, ts_us, code)
        )"""


_DAY_US = 86_400 * _MICROS


def utc_midnight(day: str) -> str:
    """A TIMESTAMPTZ literal for midnight UTC, whatever the session's time zone."""
    return f"TIMESTAMPTZ {quote(day + ' 00:00:00+00')}"


def day_pass_filter(day: str, next_day: str, margin_seconds: int, *, first: bool) -> str:
    """The raw rows one pass of a day-by-day scan reads: its day and a rule window either side.

    On the raw TIMESTAMPTZ column, so that Parquet row groups outside it are skipped. Rows
    without a time belong to no day: the first pass takes them.
    """
    rows = (
        f"(raised_at >= {utc_midnight(day)} - INTERVAL {int(margin_seconds)} SECOND "
        f"AND raised_at < {utc_midnight(next_day)} + INTERVAL {int(margin_seconds)} SECOND)"
    )
    return f"({rows} OR raised_at IS NULL)" if first else rows


def _day_number(day: str) -> int:
    """Days since 1970-01-01 (UTC), the integer the pass groups by instead of a DATE."""
    from datetime import date

    return (date.fromisoformat(day) - date(1970, 1, 1)).days


def aggregates(
    flagged: str,
    *,
    day_from: str | None,
    day_to: str | None,
    pass_day: str | None = None,
    keys: CodeKeys = STRING_CODES,
) -> str:
    """Reduce flagged alerts to alerts and superfluous alerts per day, region, DMC, code and
    sup_dev, the device for rows that need one later: alerts with a superfluous count, and
    alerts from devices missing from the inventory (kept so that they can be reported).

    Rows without sup_dev (most) collapse into one group per day, region, DMC and code. One
    GROUP BY on that grain costs less than two grouping sets, which materialise every row first.
    Days are integers until the groups are formed: a DATE per alert row costs far more.
    With pass_day (one pass of a day-by-day scan) only the rows raised on that day count, valid
    or not, and rows without a time; the rest of the pass is context for the window functions.
    """
    window = []
    if day_from:
        window.append(f"day_number >= {_day_number(day_from)}")
    if day_to:
        window.append(f"day_number <= {_day_number(day_to)}")
    in_window = " AND ".join(window) or "true"
    own_day = f", f.ts_us // {_DAY_US} AS own_day" if pass_day else ""
    keep = (
        f"coalesce(own_day = {_day_number(pass_day)}, true)"
        if pass_day
        else f"NOT (region_no <> 0 AND NOT ({in_window}))"
    )
    return f"""
        SELECT CAST(DATE '1970-01-01' + CAST(day_number AS INTEGER) AS DATE) AS day,
               list_extract({_region_names()}, region_no + 1) AS region, dmc_key,
               {keys.decode("code")} AS code, sup_dev, messages, alerts, superfluous
        FROM (
            SELECT day_number, region_no, dmc_key, code, sup_dev, sum(message) AS messages,
                   sum(alerts) AS alerts, sum(sup) AS superfluous
            FROM (
                SELECT f.code, f.alerts, f.sup, f.message,
                       CASE WHEN f.valid THEN f.ts_us // {_DAY_US} END AS day_number,
                       CASE WHEN NOT f.valid THEN 0
                            ELSE coalesce(d.region_no, {len(REGIONS) + 1}) END AS region_no,
                       d.dmc_key,
                       CASE WHEN f.valid AND (d.region_no IS NULL OR f.sup > 0)
                            THEN f.dev_key END AS sup_dev{own_day}
                FROM ({flagged}) f LEFT JOIN device d ON f.dev_key = d.dev_key
            )
            WHERE {keep}
            GROUP BY day_number, region_no, dmc_key, code, sup_dev)"""


def checked_inventory(source: str) -> str:
    """Inventory rows normalised, each with the reason it is rejected (NULL when it is fine)."""
    return f"""
        WITH raw AS (
            SELECT kir_row_no AS row_no, CAST(device_id AS VARCHAR) AS raw_device_id,
                   CAST(installation_id AS VARCHAR) AS installation_id,
                   CAST(region AS VARCHAR) AS region, CAST(supplier AS VARCHAR) AS supplier,
                   CAST(device_type AS VARCHAR) AS device_type,
                   CAST(manufacturer AS VARCHAR) AS manufacturer, CAST(model AS VARCHAR) AS model,
                   CAST(firmware_version AS VARCHAR) AS firmware_version
            FROM {source}),
        norm AS (
            SELECT row_no, raw_device_id, device_id,
                   CASE WHEN device_id IS NOT NULL THEN hash(device_id) END AS dev_key,
                   installation_id, region, supplier, device_type, manufacturer, model,
                   firmware_version
            FROM (
                SELECT row_no, raw_device_id,
                       {canonical_device_id("raw_device_id")} AS device_id,
                       nullif(trim(installation_id), '') AS installation_id,
                       lower(trim(region)) AS region,
                       nullif(trim(supplier), '') AS supplier,
                       nullif(upper(trim(device_type)), '') AS device_type,
                       {hex_text("manufacturer", 4)} AS manufacturer,
                       {hex_text("model", 8)} AS model,
                       {hex_text("firmware_version", 8)} AS firmware_version
                FROM raw)),
        checked AS (
            SELECT n.row_no, n.raw_device_id, n.device_id, n.dev_key, n.installation_id,
                   n.region, n.supplier,
                   n.device_type || '/' || n.manufacturer || '/' || n.model || '/'
                       || n.firmware_version AS component,
                CASE WHEN n.device_id IS NULL
                          THEN 'device_id: expected an EUI-64 (16 hex digits)'
                     WHEN n.installation_id IS NULL THEN 'installation_id: empty'
                     WHEN n.region IS NULL OR n.region NOT IN ({REGIONS_SQL})
                          THEN 'region: expected north, central or south'
                     WHEN n.supplier IS NULL THEN 'supplier: empty'
                     WHEN n.device_type IS NULL THEN 'device_type: empty'
                     WHEN n.manufacturer IS NULL THEN 'manufacturer: expected 4 hex digits'
                     WHEN n.model IS NULL THEN 'model: expected 8 hex digits'
                     WHEN n.firmware_version IS NULL
                          THEN 'firmware_version: expected 8 hex digits'
                END AS reason
            FROM norm n)
        -- The raw id is kept only where it explains a reject: strings cost memory.
        SELECT * EXCLUDE (raw_device_id),
               CASE WHEN reason IS NOT NULL THEN raw_device_id END AS raw_device_id
        FROM checked"""


# Duplicates are marked afterwards: a GROUP BY over the integer key is far cheaper than
# joining the normalised rows with themselves.
INVENTORY_DUPLICATES = """
    UPDATE inventory_checked SET reason = 'device_id: duplicate of row ' || d.first_row,
                                 raw_device_id = inventory_checked.device_id
    FROM (SELECT dev_key, min(row_no) AS first_row FROM inventory_checked
          WHERE dev_key IS NOT NULL GROUP BY dev_key HAVING count(*) > 1) d
    WHERE inventory_checked.dev_key = d.dev_key AND inventory_checked.row_no > d.first_row
      AND inventory_checked.reason IS NULL"""


# An installation's DMC: its distinct components, as a sorted list of their hashes (a list of
# integers groups far faster than a string per installation). Python turns each distinct list
# into the catalogue's DMC id and a readable signature (there are few), so no per-device Python
# runs.
INSTALLATIONS = """
    CREATE OR REPLACE TEMP TABLE installation AS
    SELECT hash(installation_id) AS inst_key, installation_id,
           min(region) AS region, min(supplier) AS supplier,
           list_sort(list_distinct(list(hash(component)))) AS parts
    FROM inventory_checked WHERE reason IS NULL
    GROUP BY installation_id"""

COMPONENTS = """
    SELECT component, hash(component) AS part
    FROM (SELECT DISTINCT component FROM inventory_checked WHERE reason IS NULL)"""

DISTINCT_PARTS = "SELECT DISTINCT parts FROM installation"

INSTALLATION_DMCS = """
    CREATE OR REPLACE TEMP TABLE installation_dmc AS
    SELECT n.inst_key, n.installation_id, n.region, n.supplier, s.dmc_key
    FROM installation n JOIN dmc s ON s.parts = n.parts"""

# The pass groups by region number (an integer is cheaper per alert than a string); aggregates()
# turns the numbers back into names, with 0 and 4 for rejected rows and unknown devices.
DEVICES = f"""
    CREATE OR REPLACE TEMP TABLE device AS
    SELECT i.dev_key, i.device_id, n.inst_key, n.region, n.dmc_key,
           list_position([{REGIONS_SQL}], n.region)::UTINYINT AS region_no
    FROM inventory_checked i JOIN installation_dmc n ON n.installation_id = i.installation_id
    WHERE i.reason IS NULL"""

DMC_REGION_SUPPLIERS = """
    SELECT region, dmc_key, supplier, count(*) AS installations
    FROM installation_dmc GROUP BY ALL ORDER BY ALL"""

INVENTORY_REJECTS = """
    SELECT row_no, reason, raw_device_id AS device_id FROM inventory_checked
    WHERE reason IS NOT NULL ORDER BY row_no"""


def _region_names() -> str:
    """Region names by number: 0 rejected rows, 1-3 the regions, 4 devices not in the inventory."""
    return "[" + ", ".join(quote(r) for r in (REJECTED_REGION, *REGIONS, UNKNOWN_REGION)) + "]"


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
                   sum(least(s.superfluous, {int(cap)})) AS capped, max(s.superfluous) AS top
            FROM inst_sup s JOIN affected_threshold t ON t.region = s.region AND t.code = s.code
            GROUP BY ALL),
        codes AS (SELECT DISTINCT region, code FROM traffic),
        pop AS (SELECT region, dmc_key, count(*) AS installations
                FROM installation_dmc GROUP BY ALL)
        SELECT row_number() OVER (ORDER BY c.region, c.code, p.dmc_key) - 1 AS idx,
               c.region, c.code, p.dmc_key, p.installations,
               coalesce(t.alerts, 0) AS alerts, coalesce(t.sup, 0) AS sup,
               coalesce(i.affected, 0) AS affected, coalesce(i.capped, 0) AS capped,
               coalesce(i.top, 0) AS top
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


def unmatched_device_ids(relation: str) -> str:
    """Alert device ids that found no inventory device, with what normalising them would give."""
    trusted = device_key("device_id", trust_canonical=True)
    normalised = device_key("device_id", trust_canonical=False)
    return f"""
        SELECT raw_id, count(*) AS messages, normalised_key IS NULL AS malformed,
               normalised_key IN (SELECT dev_key FROM device) AS known_when_normalised
        FROM (SELECT CAST(device_id AS VARCHAR) AS raw_id, {trusted} AS key,
                     {normalised} AS normalised_key
              FROM {relation})
        WHERE key IS NOT NULL AND key NOT IN (SELECT dev_key FROM device)
        GROUP BY ALL ORDER BY messages DESC, raw_id"""


def with_carry(source: str, carry_path: str | None) -> str:
    fresh = f"SELECT *, false AS carried, false AS carried_flag FROM ({source})"
    if carry_path is None:
        return fresh
    return (
        f"{fresh} UNION ALL SELECT dev_key, code, ts_us, n, true AS valid, true AS carried, "
        f"carried_flag FROM read_parquet({quote(carry_path)})"
    )


def carry_out(end_us: int, margin_us: int) -> str:
    """Each device stream's last alert close enough to midnight to matter tomorrow.

    back_flag says whether it is already counted superfluous, so that tomorrow only adds what
    its successor reveals (a flap's first half).
    """
    return f"""
        SELECT dev_key, code, ts_us, n, back_flag AS carried_flag FROM flagged_rows
        WHERE valid AND NOT carried AND ts_us >= {int(end_us) - int(margin_us)}
        QUALIFY row_number() OVER (
            PARTITION BY dev_key, stream ORDER BY ts_us DESC, code DESC) = 1"""


def partial_day_table() -> str:
    return """
        SELECT a.day, a.region, m.signature, a.code, a.messages, a.alerts, a.superfluous
        FROM agg_day a LEFT JOIN dmc m ON m.dmc_key = a.dmc_key WHERE a.day IS NOT NULL"""


def partial_device_table() -> str:
    return """
        SELECT s.day, s.region, m.signature, s.code, s.dev_key, s.superfluous
        FROM dev_sup s LEFT JOIN dmc m ON m.dmc_key = s.dmc_key"""


def window_from_partials(
    day_files: list[str], device_files: list[str], lo: str, hi: str
) -> list[str]:
    window = f"day BETWEEN DATE {quote(lo)} AND DATE {quote(hi)}"
    return [
        f"""CREATE OR REPLACE TEMP TABLE agg_day AS
            SELECT a.day, a.region, m.dmc_key, a.code, sum(a.messages) AS messages,
                   sum(a.alerts) AS alerts, sum(a.superfluous) AS superfluous
            FROM read_parquet({file_list(day_files)}) a
            LEFT JOIN dmc m ON m.signature = a.signature
            WHERE {window} GROUP BY ALL""",
        f"""CREATE OR REPLACE TEMP TABLE dev_sup AS
            SELECT s.region, m.dmc_key, s.code, s.dev_key, sum(s.superfluous) AS superfluous
            FROM read_parquet({file_list(device_files)}) s
            LEFT JOIN dmc m ON m.signature = s.signature
            WHERE {window} GROUP BY ALL""",
    ]
