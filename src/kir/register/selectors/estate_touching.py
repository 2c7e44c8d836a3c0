"""The register issues touching an estate of thousands of lines, matched and grouped in the
database: the estate check's read (kir.exports.estate).

The rule is the procurement check's (selectors/procurement.py): a line (manufacturer, model,
firmware, optional DMC) touches an issue through an affected product naming one of its device
versions, or a DMC holding one of them; a line within a DMC only through that DMC. Only issues
in `public_states_for(user)` count, and withdrawn ones are left out.

Two statements, whatever the number of lines. The first matches the lines (one parameter,
`line_rows_source`) to the catalogue: each line's device versions and DMCs, its targets. The
second finds the visible products naming any target and answers one row per touching issue,
its listed fields and its products grouped in the database (`text_list`); which lines an issue
touches follows from the targets of its products. The targets go back in as arrays rather than
staying a join inside one statement: PostgreSQL then knows how many there are (it guessed one
line version for 5,000 and chose a nested loop per product row, 6.7 s).

Reading every product row and grouping it per line and issue in Python instead (~160k rows for a
5,000-line estate on 20,000 issues) took 3.2-3.3 s of CPU where this takes 2.2-2.3 s, the whole
check and its JSON answer, on a machine at load 15-18 (benchmarks/exports.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import connection

from kir.catalogue.models import DMC, DeviceModel, DeviceVersion, Manufacturer
from kir.register.models import AffectedProduct, Issue, IssueState, RootCauseStatus
from kir.register.selectors.procurement import ProcurementProduct, _aware
from kir.register.selectors.visibility import public_states_for
from kir.register.sql import column_among, line_rows_source, text_list

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from kir.accounts.models import User

# (manufacturer, model, firmware, dmc): a line as the query takes it, "" for no DMC.
LineKey = tuple[str, str, str, str]
_LINE_COLUMNS = (
    ("idx", "integer"),
    ("manufacturer", "text"),
    ("model", "text"),
    ("firmware", "text"),
    ("dmc", "text"),
)


@dataclass(frozen=True)
class TouchingIssue:
    """A visible, not withdrawn, issue touching the lines."""

    issue_id: int
    human_id: str
    title: str
    state: str
    disputed: bool
    published_at: datetime | None
    # Positions in the lines asked about, ascending.
    line_positions: list[int]
    # The products through which it touches them, by product id.
    products: list[ProcurementProduct]


@dataclass(frozen=True)
class EstateTouching:
    # Newest publication first (never published last), then oldest issue first.
    issues: list[TouchingIssue]
    # Positions of the lines with at least one device version in the catalogue.
    in_catalogue: set[int]


@dataclass
class _Targets:
    """The lines' device versions and DMCs, as "v<id>" and "d<id>": each one's label and the
    positions of the lines it is a target of."""

    # MANUFACTURER/MODEL/FIRMWARE of a device version, the identifier of a DMC.
    labels: dict[str, str] = field(default_factory=dict)
    positions: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))

    def add(self, position: int, version: int | None, dmc: int | None, label: str) -> None:
        target = f"v{version}" if version is not None else f"d{dmc}"
        self.labels[target] = label
        self.positions[target].append(position)

    def ids(self, prefix: str) -> set[int]:
        return {int(target[1:]) for target in self.labels if target[0] == prefix}

    def in_catalogue(self) -> set[int]:
        """The positions of the lines with a device version in the catalogue."""
        versions = (positions for target, positions in self.positions.items() if target[0] == "v")
        return {position for positions in versions for position in positions}


def _targets_sql() -> str:
    manufacturer, model = Manufacturer._meta.db_table, DeviceModel._meta.db_table
    version, dmc = DeviceVersion._meta.db_table, DMC._meta.db_table
    members = DMC.members.through._meta.db_table
    return (
        "line_version AS ("
        " SELECT l.idx, l.dmc, v.id AS version_id,"
        " l.manufacturer || '/' || l.model || '/' || l.firmware AS label"
        f" FROM line l JOIN {manufacturer} m ON m.identifier = l.manufacturer"
        f" JOIN {model} dm ON dm.manufacturer_id = m.id AND dm.model_id = l.model"
        f" JOIN {version} v ON v.device_model_id = dm.id AND v.firmware_version = l.firmware)"
        " SELECT idx, version_id, CAST(NULL AS BIGINT), label FROM line_version"
        " UNION ALL"
        " SELECT lv.idx, CAST(NULL AS BIGINT), d.id, d.identifier"
        f" FROM line_version lv JOIN {members} mm ON mm.deviceversion_id = lv.version_id"
        f" JOIN {dmc} d ON d.id = mm.dmc_id"
        " WHERE lv.dmc = '' OR d.identifier = lv.dmc"
    )


def _line_targets(cursor: Any, lines: Sequence[LineKey]) -> _Targets:
    rows = [(position, *line) for position, line in enumerate(lines)]
    source, params = line_rows_source(rows, _LINE_COLUMNS)
    cursor.execute(f"WITH line AS ({source}), {_targets_sql()}", params)
    targets = _Targets()
    for position, version, dmc, label in cursor.fetchall():
        targets.add(position, version, dmc, label)
    return targets


def _touching_sql(targets: _Targets, states: frozenset[str]) -> tuple[str, list[Any]]:
    """Per touching visible issue: its listed fields and its products as text (`text_list`,
    in no set order: the caller sorts them), each "<id> <status> <target>"."""
    product, issue = AffectedProduct._meta.db_table, Issue._meta.db_table
    # A product names a device version or a DMC, never both, so the arms are disjoint and no
    # product comes twice.
    arms, params = [], []
    for column, prefix in (("device_version_id", "v"), ("dmc_id", "d")):
        ids = targets.ids(prefix)
        if ids:
            among, among_params = column_among(f"p.{column}", ids, "bigint")
            arms.append(
                f"SELECT p.issue_id, CAST(p.id AS TEXT) || ' ' || p.status || ' {prefix}'"
                f" || CAST(p.{column} AS TEXT) FROM {product} p WHERE {among}"
            )
            params += among_params
    visible, visible_params = column_among("i.state", states, "text")
    sql = (
        f"WITH hit (issue_id, product) AS ({' UNION ALL '.join(arms)})"
        " SELECT i.id, i.human_id, i.title, i.state, i.root_cause_status, i.published_at,"
        f" h.products FROM (SELECT issue_id, {text_list('product', ' ')} AS products FROM hit"
        f" GROUP BY issue_id) h JOIN {issue} i ON i.id = h.issue_id WHERE {visible}"
        " ORDER BY i.published_at DESC NULLS LAST, i.id"
    )
    return sql, [*params, *visible_params]


def _issue(row: tuple[Any, ...], targets: _Targets) -> TouchingIssue:
    pk, human_id, title, state, root_cause, published_at, products_text = row
    # "<id> <status> <target>" per product, all space-separated (statuses are enum values):
    # one split and maps, no Python loop over the thousands of products.
    words = products_text.split(" ")
    ids, statuses, touched = words[0::3], words[1::3], words[2::3]
    found = sorted(
        zip(map(int, ids), map(targets.labels.__getitem__, touched), statuses, strict=True)
    )
    return TouchingIssue(
        issue_id=pk,
        human_id=human_id,
        title=title,
        state=state,
        disputed=root_cause == RootCauseStatus.DISPUTED,
        # A plain cursor skips the ORM's converters: SQLite gives the stored UTC time naive.
        published_at=_aware(published_at),
        line_positions=sorted(set().union(*map(targets.positions.__getitem__, touched))),
        products=list(map(ProcurementProduct._make, found)),
    )


def estate_touching(*, user: User | AnonymousUser, lines: Sequence[LineKey]) -> EstateTouching:
    """The visible, not withdrawn, register issues touching `lines`, with the positions of the
    lines each touches and the products through which it does; and which lines the catalogue
    knows."""
    if not lines:
        return EstateTouching([], set())
    with connection.cursor() as cursor:
        targets = _line_targets(cursor, lines)
        in_catalogue = targets.in_catalogue()
        states = public_states_for(user) - {IssueState.WITHDRAWN}
        if not states or not targets.labels:
            return EstateTouching([], in_catalogue)
        sql, params = _touching_sql(targets, states)
        cursor.execute(sql, params)
        issues = [_issue(row, targets) for row in cursor.fetchall()]
    return EstateTouching(issues, in_catalogue)
