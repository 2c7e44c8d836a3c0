"""Problems that need two or three components together, and healthy DMCs that share some."""

from __future__ import annotations

import random

from kir.tracker.engine.analyse import AnalyseRequest, analyse
from tests.tracker.engine.builders import (
    CHF_A,
    CHF_B,
    ESME_X,
    ESME_Y,
    ESME_Z,
    Estate,
    daily_background,
)
from tests.tracker.engine.builders import storm as storm_rows
from tests.tracker.engine.scenarios import DAYS, finding_keys, key, write

GSME_1 = ("GSME", "A1B2", "70000001", "00000100")
GSME_2 = ("GSME", "A1B2", "70000002", "00000200")
IHDS = [("IHD", "F6A7", f"{n:08X}", "00000011") for n in range(1, 12)]


def _estate(per_dmc: int = 25) -> Estate:
    """Every CHF x ESME x GSME, each with two IHD models: 24 DMCs of `per_dmc` installations."""
    estate = Estate()
    for chf in (CHF_A, CHF_B):
        for esme in (ESME_X, ESME_Y, ESME_Z):
            for gsme in (GSME_1, GSME_2):
                for ihd in IHDS[:2]:
                    for k in range(per_dmc):
                        estate.add("north", f"SUP{k % 3}", [chf, esme, gsme, ihd])
    return estate


def _meters(estate: Estate, *components) -> list[str]:
    return [
        i.devices["ESME"]
        for i in estate.installations
        if all(c in i.components for c in components)
    ]


def _analyse(tmp_path, estate, rows):
    inventory, alerts = write(tmp_path, estate, rows)
    return analyse(AnalyseRequest(inventory=inventory, alerts=[alerts]))


def test_it_attributes_a_three_component_problem_to_the_three(tmp_path):
    estate = _estate()
    rng = random.Random(31)
    rows = daily_background(estate, DAYS, rng)
    rows += storm_rows(_meters(estate, CHF_A, ESME_X, GSME_1), range(DAYS), rng)
    [finding] = _analyse(tmp_path, estate, rows)["findings"]
    assert finding["attribution"] == "combination"
    assert finding_keys(finding) == sorted(key(c) for c in (CHF_A, ESME_X, GSME_1))
    assert len(finding["dmcs"]) == 2  # both IHD variants: the IHD is not part of it
    assert finding["certainty"] == "established"
    assert finding["homogeneity"]["dmcs"] == 2


def test_a_pair_and_a_triple_sharing_a_component_are_told_apart(tmp_path):
    """CHF A + ESME Z storms, and so does CHF A + ESME X + GSME 2: both hold CHF A. (A pair
    elevating every DMC of a sub-pair of the triple would leave two pairs just as good an
    explanation; here the data can tell.)"""
    estate = _estate()
    rng = random.Random(32)
    rows = daily_background(estate, DAYS, rng)
    rows += storm_rows(_meters(estate, CHF_A, ESME_Z), range(DAYS), rng)
    rows += storm_rows(_meters(estate, CHF_A, ESME_X, GSME_2), range(DAYS), rng)
    found = sorted(finding_keys(f) for f in _analyse(tmp_path, estate, rows)["findings"])
    assert found == sorted(
        [sorted(key(c) for c in (CHF_A, ESME_Z)), sorted(key(c) for c in (CHF_A, ESME_X, GSME_2))]
    )


def test_one_bad_dmc_sharing_a_pair_with_ten_healthy_dmcs_is_not_the_pair(tmp_path):
    """CHF A + GSME 1 in eleven DMCs (one per IHD model); only the one with IHD 1 and ESME X
    storms. The pair "covers" eleven DMCs but one carries the excess: the finding is that DMC."""
    estate = Estate()
    for ihd in IHDS:
        for k in range(25):
            estate.add("north", f"SUP{k % 3}", [CHF_A, ESME_Y, GSME_1, ihd])
    bad = estate.add("north", "SUP1", [CHF_A, ESME_X, GSME_1, IHDS[0]], 12)
    bad += estate.add("north", "SUP2", [CHF_A, ESME_X, GSME_1, IHDS[0]], 13)
    for k in range(150):
        estate.add("north", f"SUP{k % 3}", [CHF_B, ESME_X, GSME_2, IHDS[1]])
    rng = random.Random(33)
    rows = daily_background(estate, DAYS, rng)
    rows += storm_rows([i.devices["ESME"] for i in bad], range(DAYS), rng)
    findings = _analyse(tmp_path, estate, rows)["findings"]
    pair = sorted(key(c) for c in (CHF_A, GSME_1))
    assert findings and all(finding_keys(f) != pair for f in findings)
    [finding] = findings
    assert len(finding["dmcs"]) == 1
    assert {key(ESME_X), key(CHF_A), key(GSME_1)} <= set(finding_keys(finding))
