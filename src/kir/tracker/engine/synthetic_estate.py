"""The synthetic estate: a fixed GB-like catalogue of Device Models and a seeded inventory from it.

Used by `synthetic.py`; kept apart so that each file stays readable. Pure numpy, no Django.

Shape: three regions (north 30%, central 35%, south 35% of installations); comms hubs are
region-specific (CSP North uses a different CHF manufacturer from Central and South); every
installation has a CHF and an ESME, 80% have a GSME with the GPF of their hub, 6% a PPMID and 70% an
IHD. Model popularity is Zipf-like (weight 1/rank per model, then a newer/older firmware split), so
a few models dominate and a long tail is rare.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from kir.identifiers import Component, dmc_identifier

WINDOW_START = datetime(2026, 11, 2, tzinfo=UTC)
REGIONS = ("north", "central", "south")
REGION_SHARE = (0.30, 0.35, 0.35)
DEVICE_TYPES = ("CHF", "ESME", "GSME", "GPF", "PPMID", "IHD")
CHF, ESME, GSME, GPF, PPMID, IHD = range(len(DEVICE_TYPES))
SUPPLIERS = tuple(f"SUP-{n:02d}" for n in range(1, 11))
OPTIONAL_SHARE = {GSME: 0.80, PPMID: 0.06, IHD: 0.70}
# Suppliers standardise: half of each supplier's installations get its standard kit (by popularity
# rank of the variant per type), the rest follow national popularity, so some DMCs are large.
KIT_SHARE = 0.5
_KITS = {
    ESME: (0, 3, 0, 4, 5, 0, 3, 6, 1, 2),
    GSME: (0, 1, 2, 0, 1, 3, 0, 2, 1, 0),
    IHD: (0, 1, 0, 2, 0, 3, 1, 0, 2, 1),
}
# Relative alert rate of each device type (IHDs and PPMIDs say little; meters and hubs most).
TYPE_RATE = np.array([1.0, 1.0, 0.6, 0.4, 0.2, 0.1])
# Gamma shape of the per-device rate: small means overdispersed (a few chatty devices, many quiet).
RATE_SHAPE = 0.6
# Natural variation between DMCs: each DMC's share of repeated events of each code is lognormal
# around the baseline with this log standard deviation (a healthy DMC at half or twice the region).
NATURAL_LOG_SD = 0.5

# (manufacturer, model, hardware version, firmware versions newest first, regions or None for all)
_MODELS: dict[int, list[tuple[str, str, str, list[str], tuple[str, ...] | None]]] = {
    CHF: [
        ("1A0B", "00010001", "0100", ["00000305", "00000402"], ("north",)),
        ("1A0B", "00010002", "0100", ["00000210"], ("north",)),
        ("2C05", "00020001", "0200", ["00010300", "00010401"], ("central", "south")),
        ("2C05", "00020002", "0200", ["00020100"], ("central", "south")),
        ("3B11", "00300010", "0001", ["01000007"], ("central", "south")),
    ],
    ESME: [
        ("4D2A", "10000001", "0001", ["00000105", "00000107"], None),
        ("4D2A", "10000002", "0001", ["00000201", "00000203"], None),
        ("5E13", "20000011", "0002", ["01020304"], None),
        ("5E13", "20000012", "0002", ["01020400", "01020500"], None),
        ("6F01", "30000001", "0010", ["00000009", "0000000A"], None),
        ("7A22", "40000101", "0001", ["00010001"], None),
        ("7A22", "40000102", "0001", ["00010002", "00010003"], None),
        ("8B31", "50000001", "0003", ["00000011"], None),
        ("8B31", "50000002", "0003", ["00000021", "00000022"], None),
        ("9C40", "60000001", "0001", ["00000001"], None),
    ],
    GSME: [
        ("4D2A", "11000001", "0001", ["00000301", "00000302"], None),
        ("A1B2", "70000001", "0001", ["00000100"], None),
        ("A1B2", "70000002", "0001", ["00000200", "00000201"], None),
        ("B2C3", "71000001", "0002", ["00001000"], None),
        ("5E13", "21000001", "0002", ["02000001"], None),
        ("C3D4", "72000001", "0001", ["00000010"], None),
    ],
    PPMID: [
        ("D4E5", "80000001", "0001", ["00000001", "00000002"], None),
        ("E5F6", "81000001", "0001", ["00000100"], None),
    ],
    IHD: [
        ("F6A7", "90000001", "0001", ["00000011"], None),
        ("F6A7", "90000002", "0001", ["00000021"], None),
        ("0A1B", "91000001", "0001", ["00000005", "00000006"], None),
        ("1B2C", "92000001", "0001", ["00000001"], None),
    ],
}
_FIRMWARE_SPLIT = {1: (1.0,), 2: (0.65, 0.35), 3: (0.6, 0.3, 0.1)}


@dataclass(frozen=True)
class Variant:
    """One Device Model at one firmware version: the unit a DMC is made of."""

    device_type: str
    manufacturer: str
    model: str
    hardware_version: str
    firmware_version: str
    regions: tuple[str, ...]
    popularity: float

    def component(self) -> Component:
        return Component(self.device_type, self.manufacturer, self.model, self.firmware_version)

    def as_json(self) -> dict[str, str]:
        return dict(self.component()._asdict())


def _gpf_of(chf: Variant) -> Variant:
    # The GPF lives in the comms hub with the CHF: same maker and firmware image, sibling model id.
    model = chf.model[:4] + "01" + chf.model[6:]
    return Variant(
        "GPF", chf.manufacturer, model, chf.hardware_version, chf.firmware_version, chf.regions, 0.0
    )


def build_catalogue() -> dict[int, list[Variant]]:
    """Every variant per device type, most popular first; GPF variants mirror CHF variants 1:1."""
    catalogue: dict[int, list[Variant]] = {}
    for type_index, models in _MODELS.items():
        variants = []
        for rank, (maker, model, hardware, firmwares, regions) in enumerate(models, start=1):
            for firmware, share in zip(firmwares, _FIRMWARE_SPLIT[len(firmwares)], strict=True):
                variants.append(
                    Variant(
                        DEVICE_TYPES[type_index],
                        maker,
                        model,
                        hardware,
                        firmware,
                        regions or REGIONS,
                        share / rank,
                    )
                )
        catalogue[type_index] = sorted(variants, key=lambda v: -v.popularity)
    catalogue[GPF] = [_gpf_of(v) for v in catalogue[CHF]]
    return dict(sorted(catalogue.items()))


@dataclass
class Estate:
    """The inventory as arrays, one entry per installation and per device: catalogue indices."""

    catalogue: dict[int, list[Variant]]
    inst_region: np.ndarray  # int8, index into REGIONS
    inst_supplier: np.ndarray  # int8, index into SUPPLIERS
    inst_variant: np.ndarray  # int16 [installations, device types], -1 where absent
    dev_installation: np.ndarray  # int32
    dev_type: np.ndarray  # int8
    dev_variant: np.ndarray  # int16
    dev_weight: np.ndarray  # float64, the device's relative alert rate
    dmc_ids: list[str] = field(default_factory=list)
    inst_dmc: np.ndarray = field(default_factory=lambda: np.empty(0, np.int32))

    @property
    def installations(self) -> int:
        return len(self.inst_region)

    @property
    def devices(self) -> int:
        return len(self.dev_type)

    def variant(self, type_index: int, variant_index: int) -> Variant:
        return self.catalogue[type_index][variant_index]


def _pick(rng: np.random.Generator, weights: np.ndarray, size: int) -> np.ndarray:
    cdf = np.cumsum(weights / weights.sum())
    cdf[-1] = 1.0
    return np.searchsorted(cdf, rng.random(size), side="right").astype(np.int16)


def _choose_variants(
    rng: np.random.Generator,
    catalogue: dict[int, list[Variant]],
    region: np.ndarray,
    supplier: np.ndarray,
) -> np.ndarray:
    n = len(region)
    chosen = np.full((n, len(DEVICE_TYPES)), -1, dtype=np.int16)
    for type_index in (CHF, ESME, GSME, PPMID, IHD):
        variants = catalogue[type_index]
        for region_index, region_name in enumerate(REGIONS):
            rows = np.flatnonzero(region == region_index)
            weights = np.array(
                [v.popularity if region_name in v.regions else 0.0 for v in variants]
            )
            chosen[rows, type_index] = _pick(rng, weights, len(rows))
    kit = rng.random(n) < KIT_SHARE
    for type_index, ranks in _KITS.items():
        chosen[kit, type_index] = np.array(ranks, dtype=np.int16)[supplier[kit]]
    for type_index, share in OPTIONAL_SHARE.items():
        chosen[rng.random(n) >= share, type_index] = -1
    has_gas = chosen[:, GSME] >= 0
    chosen[has_gas, GPF] = chosen[has_gas, CHF]
    return chosen


def _draw_installations(
    rng: np.random.Generator, catalogue: dict[int, list[Variant]], n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    region = _pick(rng, np.array(REGION_SHARE), n).astype(np.int8)
    supplier = _pick(rng, 1.0 / np.arange(1, len(SUPPLIERS) + 1), n).astype(np.int8)
    return region, supplier, _choose_variants(rng, catalogue, region, supplier)


def build_estate(devices: int, seed: int) -> Estate:
    """Exactly `devices` devices in installations (the last may lack some optional devices)."""
    if devices < 2:
        raise ValueError("devices: need at least 2 (a CHF and an ESME)")
    rng = np.random.default_rng([seed, 1])
    catalogue = build_catalogue()
    per_installation = 2 + 2 * OPTIONAL_SHARE[GSME] + OPTIONAL_SHARE[PPMID] + OPTIONAL_SHARE[IHD]
    region, supplier, chosen = _draw_installations(
        rng, catalogue, int(devices / per_installation * 1.1) + 16
    )
    while int((chosen >= 0).sum()) < devices:  # an unlucky draw: add installations
        more = _draw_installations(rng, catalogue, devices // 8 + 16)
        region = np.concatenate([region, more[0]])
        supplier = np.concatenate([supplier, more[1]])
        chosen = np.concatenate([chosen, more[2]])
    inst, types = np.nonzero(chosen >= 0)  # row-major: by installation, then CHF, ESME, ...
    inst, types = inst[:devices].astype(np.int32), types[:devices].astype(np.int8)
    installations = int(inst[-1]) + 1
    kept = np.full((installations, len(DEVICE_TYPES)), -1, dtype=np.int16)
    kept[inst, types] = chosen[inst, types]
    weight = rng.gamma(RATE_SHAPE, 1.0 / RATE_SHAPE, devices) * TYPE_RATE[types]
    estate = Estate(
        catalogue=catalogue,
        inst_region=region[:installations],
        inst_supplier=supplier[:installations],
        inst_variant=kept,
        dev_installation=inst,
        dev_type=types,
        dev_variant=kept[inst, types],
        dev_weight=weight,
    )
    _assign_dmcs(estate)
    return estate


def _assign_dmcs(estate: Estate) -> None:
    """The DMC id of each installation, computed once per distinct combination (not per row)."""
    key = np.zeros(estate.installations, dtype=np.int64)
    for type_index in range(len(DEVICE_TYPES)):
        key = (key << 6) | (estate.inst_variant[:, type_index].astype(np.int64) + 1)
    combos, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    ids = []
    for inst in first:
        parts = [
            estate.variant(t, int(v)).component()
            for t, v in enumerate(estate.inst_variant[inst])
            if v >= 0
        ]
        ids.append(dmc_identifier(parts))
    estate.dmc_ids = ids
    estate.inst_dmc = inverse.astype(np.int32).reshape(-1)
    del combos


def natural_repeat_share(
    estate: Estate, seed: int, codes: int, base: float, log_sd: float
) -> np.ndarray:
    """Per DMC and code, the share of background events that repeat: `base` times a lognormal
    factor of median 1 (at most 0.9), the same for a DMC in every region."""
    rng = np.random.default_rng([seed, 5])
    factor = np.exp(rng.normal(0.0, log_sd, (max(len(estate.dmc_ids), 1), codes)))
    return np.minimum(base * factor, 0.9).astype(np.float32)
