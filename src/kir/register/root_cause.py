"""How the root-cause status follows the statements. Pure: who said what in, the new status out.

The rule (docs/register-core.md, "Root-cause status"), applied to each statement as it is added:

- a root-cause statement (or a correction of one) by a named manufacturer: identified;
- the same by SECAS or DCC: confirmed if identified (or confirmed), else suspected;
- the same by the reporter: suspected, if unknown;
- a challenge of a root-cause statement by a named manufacturer: disputed;
- the same by SECAS or DCC: suspected, if identified or confirmed;
- anything else, or from anyone else: unchanged.
While disputed, only the manufacturer's own new cause moves the status (to identified).

So the manufacturer, who knows its product, identifies a cause; the oversight bodies confirm it
by stating it in turn, or send it back to suspected by challenging it; a manufacturer who
challenges a cause disputes it, with the same DISPUTED marker as its dispute of the issue
(services/notices.py). A manufacturer's new or corrected cause is identified again, even after a
confirmation: what was confirmed is no longer what stands. Other challengers show as
"Challenged" on the statement and leave the status to those who may state a cause.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from kir.register.models import RootCauseStatus as S
from kir.register.models import StatementKind


class Speaker(StrEnum):
    """Who a statement's organisation is, for this rule."""

    MANUFACTURER = "manufacturer"  # speaks for a manufacturer the issue names
    OVERSIGHT = "oversight"  # SECAS or DCC
    REPORTER = "reporter"
    OTHER = "other"


@dataclass(frozen=True)
class RootCauseStatement:
    """The facts of a new statement the rule needs. `about_root_cause`: it is a root cause, or
    corrects (supersedes) one, or challenges one."""

    kind: str
    speaker: Speaker
    about_root_cause: bool


def _stated(speaker: Speaker, current: str) -> str:
    if speaker == Speaker.MANUFACTURER:
        return S.IDENTIFIED
    if current == S.DISPUTED:
        return current
    if speaker == Speaker.OVERSIGHT:
        return S.CONFIRMED if current in (S.IDENTIFIED, S.CONFIRMED) else S.SUSPECTED
    if speaker == Speaker.REPORTER and current == S.UNKNOWN:
        return S.SUSPECTED
    return current


def _challenged(speaker: Speaker, current: str) -> str:
    if speaker == Speaker.MANUFACTURER:
        return S.DISPUTED
    if speaker == Speaker.OVERSIGHT and current in (S.IDENTIFIED, S.CONFIRMED):
        return S.SUSPECTED
    return current


def root_cause_status_after(current: str, statement: RootCauseStatement) -> str:
    """The root-cause status once `statement` is added to an issue whose status is `current`."""
    if not statement.about_root_cause:
        return current
    if statement.kind in (StatementKind.ROOT_CAUSE, StatementKind.CORRECTION):
        return _stated(statement.speaker, current)
    if statement.kind == StatementKind.CHALLENGE:
        return _challenged(statement.speaker, current)
    return current
