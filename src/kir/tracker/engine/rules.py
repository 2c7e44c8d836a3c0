"""Superfluous-alert rules: shipped defaults (default_rules.toml) merged with a user's TOML file."""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from kir.tracker.engine.codes import is_valid_alert_code
from kir.tracker.engine.errors import InputFileError
from kir.tracker.engine.variation import VariationRules


@dataclass(frozen=True)
class FlappingPair:
    name: str
    first: str
    second: str
    window_seconds: int


@dataclass(frozen=True)
class CertaintyLevel:
    min_affected_installations: int
    min_persistence: float
    max_q_value: float
    min_ci_lower: float
    # Impact: what the finding costs DCC's network, not how sure we are of it.
    min_excess_alerts_per_day: float
    min_share_of_region_traffic: float
    min_prevalence: float


@dataclass(frozen=True)
class InputLimits:
    """The plausible range of an alert's values; a row outside it is a counted reject."""

    earliest_alert: date = date(2010, 1, 1)
    days_ahead: int = 1
    max_throttled_count: int = 1_000_000

    def time_range(self, today: date) -> tuple[datetime, datetime]:
        """[start, end) in UTC: from earliest_alert to the end of `days_ahead` days after today."""
        start = datetime.combine(self.earliest_alert, time(), UTC)
        end = datetime.combine(today + timedelta(days=self.days_ahead + 1), time(), UTC)
        return start, end


@dataclass(frozen=True)
class Rules:
    repeat_window_seconds: int
    code_windows: dict[str, int]
    excluded_codes: frozenset[str]
    flapping: tuple[FlappingPair, ...]
    alpha: float
    confidence: float
    min_rate_ratio: float
    cap_per_installation_day: int
    min_affected_installations: int
    affected_tail: float
    min_daily_superfluous: int
    max_single_installation_share: float
    min_onset_days: int
    max_components: int
    variation: VariationRules
    established: CertaintyLevel
    corroborated: CertaintyLevel
    disclosure_min_installations: int
    disclosure_max_supplier_share: float
    drilldown_limit: int
    memory_limit: str
    threads: int
    day_pass_min_rows: int
    inputs: InputLimits = field(default_factory=InputLimits)
    source: str = "defaults"
    extra: dict[str, Any] = field(default_factory=dict)

    def window_for(self, code: str) -> int:
        return self.code_windows.get(code, self.repeat_window_seconds)

    def max_window_seconds(self) -> int:
        """How far a rule can look across midnight: the carry an incremental ingest must keep."""
        windows = [self.repeat_window_seconds, *self.code_windows.values()]
        windows += [pair.window_seconds for pair in self.flapping]
        return max(windows)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["excluded_codes"] = sorted(self.excluded_codes)
        data["inputs"]["earliest_alert"] = self.inputs.earliest_alert.isoformat()
        data.pop("extra")
        return data


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def default_rules_text() -> str:
    return resources.files("kir.tracker.engine").joinpath("default_rules.toml").read_text("utf-8")


def load_rules(path: Path | None = None) -> Rules:
    data = tomllib.loads(default_rules_text())
    source = "defaults"
    if path is not None:
        try:
            user = tomllib.loads(Path(path).read_text("utf-8"))
        except FileNotFoundError:
            raise InputFileError(path, "rules file not found") from None
        except tomllib.TOMLDecodeError as exc:
            raise InputFileError(path, f"not valid TOML: {exc}") from None
        data = _merge(data, user)
        source = str(path)
    try:
        return _build(data, source)
    except (KeyError, TypeError, ValueError) as exc:
        raise InputFileError(source, f"invalid rules: {exc}") from None


def _code(value: object, where: str) -> str:
    code = str(value).strip().upper()
    if not is_valid_alert_code(code):
        raise ValueError(f"{where}: {value!r} is not an alert code")
    return code


def _seconds(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{where}: expected a whole number of seconds >= 0, got {value!r}")
    return value


def _build(data: dict[str, Any], source: str) -> Rules:
    stats, disclosure, engine = data["statistics"], data["disclosure"], data["engine"]
    code_windows = {
        _code(code, "codes"): _seconds(spec["window_seconds"], f"codes.{code}.window_seconds")
        for code, spec in data.get("codes", {}).items()
    }
    flapping = tuple(
        FlappingPair(
            name=str(pair.get("name", f"{pair['first']}/{pair['second']}")),
            first=_code(pair["first"], "flapping.first"),
            second=_code(pair["second"], "flapping.second"),
            window_seconds=_seconds(pair["window_seconds"], "flapping.window_seconds"),
        )
        for pair in data.get("flapping", [])
    )
    _check_flapping(flapping)
    return Rules(
        repeat_window_seconds=_seconds(data["repeat"]["window_seconds"], "repeat.window_seconds"),
        code_windows=code_windows,
        excluded_codes=frozenset(_code(c, "exclude.codes") for c in data["exclude"]["codes"]),
        flapping=flapping,
        alpha=_fraction(stats["alpha"], "statistics.alpha"),
        confidence=_fraction(stats["confidence"], "statistics.confidence"),
        min_rate_ratio=float(stats["min_rate_ratio"]),
        cap_per_installation_day=int(stats["cap_per_installation_day"]),
        min_affected_installations=int(stats["min_affected_installations"]),
        affected_tail=_fraction(stats["affected_tail"], "statistics.affected_tail"),
        min_daily_superfluous=int(stats["min_daily_superfluous"]),
        max_single_installation_share=float(stats["max_single_installation_share"]),
        min_onset_days=int(stats["min_onset_days"]),
        max_components=_at_least(stats["max_components"], 1, "statistics.max_components"),
        variation=_variation(data["natural_variation"]),
        established=_level(data["certainty"]["established"]),
        corroborated=_level(data["certainty"]["corroborated"]),
        disclosure_min_installations=int(disclosure["min_installations"]),
        disclosure_max_supplier_share=_fraction(
            disclosure["max_supplier_share"], "disclosure.max_supplier_share"
        ),
        drilldown_limit=int(disclosure["drilldown_limit"]),
        memory_limit=str(engine["memory_limit"]),
        threads=int(engine["threads"]),
        day_pass_min_rows=int(engine["day_pass_min_rows"]),
        inputs=_input_limits(data["inputs"]),
        source=source,
    )


def _input_limits(spec: dict[str, Any]) -> InputLimits:
    earliest = spec["earliest_alert"]
    if isinstance(earliest, str):
        earliest = date.fromisoformat(earliest)
    if not isinstance(earliest, date) or isinstance(earliest, datetime):
        raise ValueError(f"inputs.earliest_alert: expected a date, got {earliest!r}")
    return InputLimits(
        earliest_alert=earliest,
        days_ahead=_at_least(spec["days_ahead"], 0, "inputs.days_ahead"),
        max_throttled_count=_at_least(spec["max_throttled_count"], 1, "inputs.max_throttled_count"),
    )


def _level(spec: dict[str, Any]) -> CertaintyLevel:
    return CertaintyLevel(**spec)


def _variation(spec: dict[str, Any]) -> VariationRules:
    return VariationRules(
        default_log_sd=float(spec["default_log_sd"]),
        min_log_sd=float(spec["min_log_sd"]),
        min_pooled_log_sd=float(spec["min_pooled_log_sd"]),
        min_dmcs=_at_least(spec["min_dmcs"], 3, "natural_variation.min_dmcs"),
        min_expected=float(spec["min_expected"]),
        spread_tail=_fraction(spec["spread_tail"], "natural_variation.spread_tail"),
    )


def _at_least(value: object, minimum: int, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{where}: expected a whole number >= {minimum}, got {value!r}")
    return value


def _fraction(value: object, where: str) -> float:
    number = float(value)  # type: ignore[arg-type]
    if not 0 < number < 1:
        raise ValueError(f"{where}: expected a number between 0 and 1, got {value!r}")
    return number


def _check_flapping(pairs: tuple[FlappingPair, ...]) -> None:
    # Each code may belong to one pair: the SQL gives every pair its own ordered stream.
    seen: set[str] = set()
    for pair in pairs:
        if pair.first == pair.second:
            raise ValueError(f"flapping {pair.name!r}: first and second must differ")
        for code in (pair.first, pair.second):
            if code in seen:
                raise ValueError(f"flapping: code {code} is in more than one pair")
            seen.add(code)
