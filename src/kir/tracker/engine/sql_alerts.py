"""The pass over the alerts in SQL: typed rows, the superfluous flags, the aggregates."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from kir.tracker.engine.rules import Rules
from kir.tracker.engine.sql import (
    REGIONS,
    REJECTED_REGION,
    UNKNOWN_REGION,
    canonical_device_id,
    quote,
    utc_midnight,
)

_MICROS = 1_000_000


def device_key(expr: str, *, trust_canonical: bool) -> str:
    """A 64-bit key for a device: the hash of its canonical id (NULL when the id is malformed).

    Partitioning and joining on an integer instead of a 23-character string is what makes the
    pass fast. With trust_canonical, a 23-character id is hashed as it is (no per-row string
    work); the scan checks afterwards whether that missed any device (see scan.py).
    """
    text = f"CAST({expr} AS VARCHAR)"  # a no-op on text; an all-NULL column may be typed NULL
    canonical = canonical_device_id(text)
    normalised = f"CASE WHEN ({canonical}) IS NOT NULL THEN hash({canonical}) END"
    if not trust_canonical:
        return normalised
    return f"CASE WHEN strlen({text}) = 23 THEN hash({text}) ELSE {normalised} END"


@dataclass(frozen=True)
class Plausible:
    """The range an alert's values must lie in (rules.InputLimits for one group of files)."""

    start: datetime
    end: datetime
    max_throttled: int
    has_throttled: bool
    throttled_integer: bool  # a Parquet integer column, not text

    def time_sql(self, ts_us: str) -> str:
        low, high = (int(t.timestamp()) * _MICROS for t in (self.start, self.end))
        return f"({ts_us} >= {low} AND {ts_us} < {high})"

    def throttled_sql(self) -> str:
        """The alert count a row stands for: 1 without a throttled_count, 0 when it is not a
        whole number from 1 to max_throttled (0 is never valid)."""
        if not self.has_throttled:
            return "1"
        top = self.max_throttled
        if self.throttled_integer:
            return (
                "CASE WHEN throttled_count IS NULL THEN 1 "
                f"WHEN throttled_count BETWEEN 1 AND {top} "
                "THEN CAST(throttled_count AS INTEGER) ELSE 0 END"
            )
        text = "trim(CAST(throttled_count AS VARCHAR))"
        digits = len(str(top))
        number = f"TRY_CAST({text} AS INTEGER)"
        return (
            f"CASE WHEN throttled_count IS NULL OR {text} = '' THEN 1 "
            f"WHEN regexp_full_match({text}, '[0-9]{{1,{digits}}}') "
            f"AND {number} BETWEEN 1 AND {top} THEN {number} ELSE 0 END"
        )


def normalised_alerts(source: str, plausible: Plausible, *, trust_canonical: bool) -> str:
    """Typed alert rows; `valid` is false for rows the rejects file will explain."""
    return f"""
        SELECT dev_key, code, ts_us, n,
               dev_key IS NOT NULL AND coalesce({plausible.time_sql("ts_us")}, false)
               AND n >= 1 AND code IS NOT NULL AS valid
        FROM (
            SELECT {device_key("device_id", trust_canonical=trust_canonical)} AS dev_key,
                   upper(trim(CAST(alert_code AS VARCHAR))) AS code,
                   epoch_us(TRY_CAST(raised_at AS TIMESTAMPTZ)) AS ts_us,
                   {plausible.throttled_sql()} AS n
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
    """
    # The window is partitioned by device alone and ordered by stream first, because DuckDB runs
    # that faster than a partition by device and stream (docs/tracker-benchmark.md). It is
    # equivalent: every flag compares a row's code with its neighbour's, and two streams never
    # share a code, so a neighbour from the next stream never matches. Invalid rows (stream NULL,
    # sorted last) show their neighbours no code (live_code), so they never match either.
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
    return (date.fromisoformat(day) - date(1970, 1, 1)).days


def _region_names() -> str:
    """Region names by number: 0 rejected rows, 1-3 the regions, 4 devices not in the inventory."""
    return "[" + ", ".join(quote(r) for r in (REJECTED_REGION, *REGIONS, UNKNOWN_REGION)) + "]"


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

    Rows without sup_dev (most) collapse into one group per day, region, DMC and code.
    With pass_day (one pass of a day-by-day scan) only the rows raised on that day count, valid
    or not, and rows without a time; the rest of the pass is context for the window functions.
    """
    # One GROUP BY on that grain, not two grouping sets (which materialise every row first), and
    # days as integers until the groups are formed, not a DATE per alert row: both because they
    # cost less per alert (docs/tracker-benchmark.md).
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
