"""Which devices carry the synthetic data set's planted problems and decoys, and their ground truth.

Planted problems (each must be found, attributed as stated, and reach `established` when the estate
is big enough):
  - component: ESME variant ranked 2nd by popularity (one model at one firmware) repeats `8F0C`
    in bursts in every DMC and region it is installed in -> attributed to that one component;
  - combination: the ESME variant ranked 1st flaps `81A3`/`81A2` only in installations whose CHF is
    the 2nd most popular Central/South hub variant -> attributed to the pair, not to either alone;
  - region: ESME variant ranked 3rd repeats `8F84`, in the North only -> a North finding naming it.
Decoys (must never reach `established`):
  - noisy_device: one ESME in a common, otherwise clean DMC raising `8F3F` in storms (some rows
    throttled by DCC);
  - power_cut: one day, most meters in the South report supply restored (`8F35` flicker, `8F36`)
    within 90 minutes, alike in every DMC;
  - popular_dmc: the most common clean DMC, at the baseline rate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import numpy as np

from kir.tracker.engine import synthetic_estate as es
from kir.tracker.engine.synthetic_writers import device_id_text, installation_id_text

AFFECTED_SHARE = 0.85
POWER_CUT_REGION = "south"
PROBLEM_REGION = "north"


@dataclass
class Planted:
    days: int
    alerts: int
    seed: int
    component_variant: int
    combination_chf: int
    combination_esme: int
    region_variant: int
    component_esmes: np.ndarray
    combination_esmes: np.ndarray
    region_esmes: np.ndarray
    noisy_devices: np.ndarray
    power_cut_day: int
    power_cut_esmes: np.ndarray
    popular_dmc: int
    component_code: str = "8F0C"
    region_code: str = "8F84"
    noisy_code: str = "8F3F"
    extra: dict[str, Any] = field(default_factory=dict)

    def devices_for(self, name: str) -> np.ndarray:
        return {
            "component": self.component_esmes,
            "combination": self.combination_esmes,
            "region": self.region_esmes,
            "noisy_device": self.noisy_devices,
            "power_cut": self.power_cut_esmes,
        }[name]

    def describe(self, estate: es.Estate) -> dict[str, Any]:
        return {
            "planted": _describe_planted(self, estate),
            "decoys": _describe_decoys(self, estate),
        }


def _esme_devices(estate: es.Estate) -> np.ndarray:
    return np.flatnonzero(estate.dev_type == es.ESME).astype(np.int32)


def _affected(rng: np.random.Generator, devices: np.ndarray) -> np.ndarray:
    return devices[rng.random(len(devices)) < AFFECTED_SHARE]


def _dirty_installations(estate: es.Estate, planted: Planted) -> np.ndarray:
    esme, chf = estate.inst_variant[:, es.ESME], estate.inst_variant[:, es.CHF]
    north = estate.inst_region == es.REGIONS.index(PROBLEM_REGION)
    return (
        (esme == planted.component_variant)
        | (north & (esme == planted.region_variant))
        | ((chf == planted.combination_chf) & (esme == planted.combination_esme))
    )


def choose_planted(
    estate: es.Estate, *, seed: int, days: int, alerts: int, power_cut_rows: int
) -> Planted:
    rng = np.random.default_rng([seed, 2])
    hub_ranking = [i for i, v in enumerate(estate.catalogue[es.CHF]) if "central" in v.regions]
    esmes = _esme_devices(estate)
    esme_variant = estate.dev_variant[esmes]
    esme_inst = estate.dev_installation[esmes]
    planted = Planted(
        days=days,
        alerts=alerts,
        seed=seed,
        component_variant=1,
        combination_chf=hub_ranking[1],
        combination_esme=0,
        region_variant=2,
        component_esmes=np.zeros(0, np.int32),
        combination_esmes=np.zeros(0, np.int32),
        region_esmes=np.zeros(0, np.int32),
        noisy_devices=np.zeros(0, np.int32),
        power_cut_day=days // 2,
        power_cut_esmes=np.zeros(0, np.int32),
        popular_dmc=-1,
    )
    north = estate.inst_region[esme_inst] == es.REGIONS.index(PROBLEM_REGION)
    with_hub_x = estate.inst_variant[esme_inst, es.CHF] == planted.combination_chf
    planted.component_esmes = _affected(rng, esmes[esme_variant == planted.component_variant])
    planted.combination_esmes = _affected(
        rng, esmes[(esme_variant == planted.combination_esme) & with_hub_x]
    )
    planted.region_esmes = _affected(rng, esmes[(esme_variant == planted.region_variant) & north])
    _choose_decoys(rng, estate, planted, esmes, esme_inst, power_cut_rows)
    return planted


def _choose_decoys(
    rng: np.random.Generator,
    estate: es.Estate,
    planted: Planted,
    esmes: np.ndarray,
    esme_inst: np.ndarray,
    power_cut_rows: int,
) -> None:
    clean = ~_dirty_installations(estate, planted)
    counts = np.bincount(estate.inst_dmc[clean], minlength=len(estate.dmc_ids))
    ranking = np.argsort(-counts, kind="stable")
    planted.popular_dmc = int(ranking[0]) if counts[ranking[0]] else -1
    noisy_dmc = int(ranking[1]) if len(ranking) > 1 and counts[ranking[1]] else planted.popular_dmc
    candidates = esmes[estate.inst_dmc[esme_inst] == noisy_dmc]
    if len(candidates):
        planted.noisy_devices = candidates[rng.integers(0, len(candidates), 1)]
    south = esmes[estate.inst_region[esme_inst] == es.REGIONS.index(POWER_CUT_REGION)]
    # At most 4 alerts per meter (a flicker of 2-3 8F35 and one 8F36) within the budget.
    count = min(len(south), power_cut_rows // 4)
    planted.power_cut_esmes = np.sort(rng.choice(south, size=count, replace=False)).astype(np.int32)


def _dmcs_of(estate: es.Estate, installations: np.ndarray) -> dict[str, list[str]]:
    """DMC ids by region for a boolean mask over installations (only regions that have any)."""
    result = {}
    for index, region in enumerate(es.REGIONS):
        members = np.unique(estate.inst_dmc[installations & (estate.inst_region == index)])
        if len(members):
            result[region] = sorted(estate.dmc_ids[i] for i in members)
    return result


def _problem(
    estate: es.Estate,
    *,
    name: str,
    description: str,
    codes: list[str],
    rule: str,
    components: list[es.Variant],
    scope: np.ndarray,
    affected_devices: np.ndarray,
) -> dict[str, Any]:
    by_region = _dmcs_of(estate, scope)
    affected = np.unique(estate.dev_installation[affected_devices])
    return {
        "name": name,
        "kind": name,
        "description": description,
        "alert_code": codes[0],
        "alert_codes": codes,
        "rule": rule,
        "attribution": "combination" if len(components) > 1 else "component",
        "components": [v.as_json() for v in components],
        "regions": sorted(by_region, key=es.REGIONS.index),
        "dmcs": sorted({d for ids in by_region.values() for d in ids}),
        "dmcs_by_region": by_region,
        "installations": int(scope.sum()),
        "affected_installations": len(affected),
        "affected_installations_by_region": {
            region: int((estate.inst_region[affected] == i).sum())
            for i, region in enumerate(es.REGIONS)
        },
        "expected_certainty": "established",
    }


def _describe_planted(planted: Planted, estate: es.Estate) -> list[dict[str, Any]]:
    esme, chf = estate.inst_variant[:, es.ESME], estate.inst_variant[:, es.CHF]
    north = estate.inst_region == es.REGIONS.index(PROBLEM_REGION)
    a = estate.variant(es.ESME, planted.component_variant)
    x = estate.variant(es.CHF, planted.combination_chf)
    y = estate.variant(es.ESME, planted.combination_esme)
    w = estate.variant(es.ESME, planted.region_variant)
    return [
        _problem(
            estate,
            name="component",
            description=f"ESME {a.model} fw {a.firmware_version} repeats {planted.component_code} "
            "in every DMC and region it is installed in",
            codes=[planted.component_code],
            rule="repeat",
            components=[a],
            scope=esme == planted.component_variant,
            affected_devices=planted.component_esmes,
        ),
        _problem(
            estate,
            name="combination",
            description=f"CHF {x.model} fw {x.firmware_version} with ESME {y.model} fw "
            f"{y.firmware_version} flap 81A3/81A2, only together",
            codes=["81A3", "81A2"],
            rule="flapping",
            components=[x, y],
            scope=(chf == planted.combination_chf) & (esme == planted.combination_esme),
            affected_devices=planted.combination_esmes,
        ),
        _problem(
            estate,
            name="region",
            description=f"ESME {w.model} fw {w.firmware_version} repeats {planted.region_code} "
            f"in the {PROBLEM_REGION} only (at baseline elsewhere)",
            codes=[planted.region_code],
            rule="repeat",
            components=[w],
            scope=north & (esme == planted.region_variant),
            affected_devices=planted.region_esmes,
        ),
    ]


def _dmc_components(estate: es.Estate, dmc: int) -> list[dict[str, str]]:
    inst = int(np.flatnonzero(estate.inst_dmc == dmc)[0])
    return [
        estate.variant(t, int(v)).as_json()
        for t, v in enumerate(estate.inst_variant[inst])
        if v >= 0
    ]


def _describe_decoys(planted: Planted, estate: es.Estate) -> list[dict[str, Any]]:
    decoys: list[dict[str, Any]] = []
    for device in planted.noisy_devices.tolist():
        inst = int(estate.dev_installation[device])
        dmc = int(estate.inst_dmc[inst])
        decoys.append(
            {
                "name": "noisy_device",
                "kind": "noisy_device",
                "description": f"one ESME raising {planted.noisy_code} in storms",
                "device_id": device_id_text(estate, planted.seed, device),
                "installation_id": installation_id_text(inst),
                "region": es.REGIONS[int(estate.inst_region[inst])],
                "alert_code": planted.noisy_code,
                "dmcs": [estate.dmc_ids[dmc]],
                "dmc_installations": int((estate.inst_dmc == dmc).sum()),
                "expected_certainty": "not established",
            }
        )
    cut_installations = estate.dev_installation[planted.power_cut_esmes]
    decoys.append(
        {
            "name": "power_cut",
            "kind": "power_cut",
            "description": "supply restored after a regional power cut, alike in every DMC",
            "region": POWER_CUT_REGION,
            "day": planted.power_cut_day,
            "date": (es.WINDOW_START + timedelta(days=planted.power_cut_day)).date().isoformat(),
            "alert_codes": ["8F35", "8F36"],
            "affected_installations": len(np.unique(cut_installations)),
            "expected_certainty": "not established",
        }
    )
    if planted.popular_dmc >= 0:
        members = estate.inst_dmc == planted.popular_dmc
        decoys.append(
            {
                "name": "popular_dmc",
                "kind": "popular_dmc",
                "description": "the most common DMC, at the baseline rate",
                "dmcs": [estate.dmc_ids[planted.popular_dmc]],
                "components": _dmc_components(estate, planted.popular_dmc),
                "installations": int(members.sum()),
                "regions": sorted(
                    {es.REGIONS[int(r)] for r in np.unique(estate.inst_region[members])},
                    key=es.REGIONS.index,
                ),
                "expected_certainty": "not established",
            }
        )
    return decoys


def _component_key(components: list[dict[str, str]]) -> frozenset[tuple[str, ...]]:
    return frozenset(
        (c["device_type"], c["manufacturer"], c["model"], c["firmware_version"]) for c in components
    )


def check_recovery(manifest: dict[str, Any], report: dict[str, Any]) -> dict[str, Any]:
    """Compare an analysis report (the `kir tracker analyse` JSON) with planted.json.

    A planted problem is found in a region when a finding there has one of its codes and exactly
    its components; a decoy is breached when a finding covering it reaches `established`.
    """
    findings = report.get("findings", [])
    planted = {}
    for problem in manifest["planted"]:
        wanted = _component_key(problem["components"])
        by_region = {}
        for region in problem["regions"]:
            matches = [
                f
                for f in findings
                if f["region"] == region
                and f["alert_code"] in problem["alert_codes"]
                and _component_key(f["components"]) == wanted
            ]
            by_region[region] = sorted({f["certainty"] for f in matches}) or None
        planted[problem["name"]] = by_region
    decoys = {}
    for decoy in manifest["decoys"]:
        breaches = [f for f in findings if f["certainty"] == "established" and _covers(decoy, f)]
        decoys[decoy["name"]] = {
            "established_findings": len(breaches),
            "examples": [_summary(f) for f in breaches[:3]],
        }
    return {"planted": planted, "decoys": decoys, "findings": len(findings)}


def _covers(decoy: dict[str, Any], finding: dict[str, Any]) -> bool:
    if decoy["name"] == "power_cut":
        return (
            finding["region"] == decoy["region"] and finding["alert_code"] in decoy["alert_codes"]
        )
    if decoy["name"] == "noisy_device":
        return finding["alert_code"] == decoy["alert_code"] and bool(
            set(decoy["dmcs"]) & set(finding.get("dmcs") or [])
        )
    return bool(set(decoy["dmcs"]) & set(finding.get("dmcs") or []))


def _summary(finding: dict[str, Any]) -> dict[str, Any]:
    return {
        "region": finding["region"],
        "alert_code": finding["alert_code"],
        "components": finding["components"],
        "certainty": finding["certainty"],
    }
