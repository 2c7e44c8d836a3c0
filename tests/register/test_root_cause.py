"""The root-cause rule on its own: every kind of statement from every kind of speaker, from every
status (kir.register.root_cause)."""

from __future__ import annotations

import pytest

from kir.register.models import RootCauseStatus as S
from kir.register.models import StatementKind as K
from kir.register.root_cause import RootCauseStatement, Speaker, root_cause_status_after


def after(current: str, kind: str, speaker: Speaker, about: bool = True) -> str:
    return root_cause_status_after(current, RootCauseStatement(kind, speaker, about))


@pytest.mark.parametrize("current", S.values)
def test_a_manufacturers_cause_is_identified_from_any_status(current):
    assert after(current, K.ROOT_CAUSE, Speaker.MANUFACTURER) == S.IDENTIFIED
    assert after(current, K.CORRECTION, Speaker.MANUFACTURER) == S.IDENTIFIED


@pytest.mark.parametrize(
    ("current", "expected"),
    [
        (S.UNKNOWN, S.SUSPECTED),
        (S.SUSPECTED, S.SUSPECTED),
        (S.IDENTIFIED, S.CONFIRMED),
        (S.CONFIRMED, S.CONFIRMED),
        (S.DISPUTED, S.DISPUTED),
    ],
)
def test_secas_or_dcc_stating_the_cause_confirms_an_identified_one(current, expected):
    assert after(current, K.ROOT_CAUSE, Speaker.OVERSIGHT) == expected


@pytest.mark.parametrize(
    ("current", "expected"),
    [(S.UNKNOWN, S.SUSPECTED), (S.IDENTIFIED, S.IDENTIFIED), (S.DISPUTED, S.DISPUTED)],
)
def test_the_reporters_cause_is_only_a_suspicion(current, expected):
    assert after(current, K.ROOT_CAUSE, Speaker.REPORTER) == expected


@pytest.mark.parametrize("current", S.values)
def test_a_manufacturers_challenge_of_a_cause_disputes_it(current):
    assert after(current, K.CHALLENGE, Speaker.MANUFACTURER) == S.DISPUTED


@pytest.mark.parametrize(
    ("current", "expected"),
    [
        (S.CONFIRMED, S.SUSPECTED),
        (S.IDENTIFIED, S.SUSPECTED),
        (S.UNKNOWN, S.UNKNOWN),
        (S.DISPUTED, S.DISPUTED),
    ],
)
def test_an_oversight_challenge_sends_a_cause_back_to_suspected(current, expected):
    assert after(current, K.CHALLENGE, Speaker.OVERSIGHT) == expected


@pytest.mark.parametrize("speaker", [Speaker.OTHER, Speaker.REPORTER])
def test_other_challenges_leave_the_status(speaker):
    assert after(S.CONFIRMED, K.CHALLENGE, speaker) == S.CONFIRMED


@pytest.mark.parametrize("kind", [K.OBSERVATION, K.REMEDIATION, K.WORKAROUND])
def test_statements_not_about_the_cause_leave_the_status(kind):
    for speaker in Speaker:
        assert after(S.IDENTIFIED, kind, speaker, about=False) == S.IDENTIFIED
    assert after(S.IDENTIFIED, K.CHALLENGE, Speaker.MANUFACTURER, about=False) == S.IDENTIFIED
