from __future__ import annotations

import numpy as np

from kir.tracker.engine.timeline import onset, timing


def _days(text: str) -> np.ndarray:
    return np.array([c == "x" for c in text])


def test_it_finds_the_onset_of_a_mid_window_rollout():
    found = timing(_days("........xxxxxx"), min_onset_days=3)
    assert found.onset == 8
    assert found.first_seen == 8 and found.last_seen == 13
    assert found.persistence == 1.0  # measured from the onset, not from day 0


def test_one_bad_last_day_is_not_an_onset():
    found = timing(_days("......x"), min_onset_days=3)
    assert found.onset is None
    assert found.persistence == 1 / 7


def test_a_behaviour_there_from_the_start_has_no_onset():
    assert onset(_days("xxx.xxxxx"), 3) is None
    assert timing(_days("xxx.xxxxx"), 3).persistence == 8 / 9


def test_an_early_stray_day_does_not_hide_the_onset():
    assert onset(_days(".x.......xxxxx"), 3) == 9
