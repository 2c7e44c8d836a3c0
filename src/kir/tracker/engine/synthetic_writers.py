"""Writers for the synthetic data set: inventory (Parquet or CSV), alerts as gzip CSV or DUIS XML.

Identifiers are formatted with numpy byte arithmetic rather than per-row Python, so that ten million
Device IDs take about a second. Device IDs are EUI-64: `00` + the manufacturer id + 5 bytes of a
bijective scramble of the device's index (so they are unique and look random).
"""

from __future__ import annotations

import gzip
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from kir.tracker.engine import synthetic_estate as es

_HEX = np.frombuffer(b"0123456789ABCDEF", dtype=np.uint8)
_LOW40 = np.uint64((1 << 40) - 1)
_SCRAMBLE = np.uint64(0x9E3779B97)  # odd, so multiplication is a bijection modulo 2**40
_SERVICE_USER = "90-B3-D5-1F-30-01-00-00"


def _device_values(estate: es.Estate, seed: int, devices: np.ndarray) -> np.ndarray:
    maker_of = np.zeros((len(es.DEVICE_TYPES), 32), dtype=np.uint64)
    for type_index, variants in estate.catalogue.items():
        for variant_index, variant in enumerate(variants):
            maker_of[type_index, variant_index] = int(variant.manufacturer, 16)
    maker = maker_of[estate.dev_type[devices], estate.dev_variant[devices]]
    index = devices.astype(np.uint64)
    offset = np.uint64((seed * 0x5DEECE66D) & ((1 << 40) - 1))
    low = (index * _SCRAMBLE + offset) & _LOW40
    return (maker << np.uint64(40)) | low


def _strings(chars: np.ndarray) -> pa.Array:
    """Fixed-width ASCII rows (an [n, width] uint8 matrix) as an Arrow string array."""
    n, width = chars.shape
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32)
    return pa.StringArray.from_buffers(
        n, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(chars).tobytes())
    )


# "00", "01", ... "FF" as two ASCII bytes each.
_HEX_PAIRS = (
    np.array([[_HEX[i >> 4], _HEX[i & 0x0F]] for i in range(256)], dtype=np.uint8)
    .view(np.uint16)
    .reshape(256)
)


def device_id_array(estate: es.Estate, seed: int) -> pa.Array:
    """Canonical Device IDs (00-DB-12-34-56-78-90-A0) of every device, in device order."""
    values = _device_values(estate, seed, np.arange(estate.devices))
    octets = values.astype(">u8").view(np.uint8).reshape(-1, 8)
    chars = np.empty((len(values), 8, 3), dtype=np.uint8)
    chars[:, :, :2] = _HEX_PAIRS[octets].view(np.uint8).reshape(-1, 8, 2)
    chars[:, :, 2] = ord("-")
    return _strings(chars.reshape(len(values), 24)[:, :23])


def device_id_text(estate: es.Estate, seed: int, device: int) -> str:
    value = int(_device_values(estate, seed, np.array([device]))[0])
    digits = f"{value:016X}"
    return "-".join(digits[i : i + 2] for i in range(0, 16, 2))


def installation_id_text(installation: int) -> str:
    return f"IN{installation:09d}"


def _installation_ids(count: int) -> pa.Array:
    numbers = np.arange(count, dtype=np.int64)
    chars = np.empty((count, 11), dtype=np.uint8)
    chars[:, 0], chars[:, 1] = ord("I"), ord("N")
    for position in range(10, 1, -1):
        chars[:, position] = ord("0") + numbers % 10
        numbers //= 10
    return _strings(chars)


def _catalogue_column(estate: es.Estate, attribute: str, global_variant: np.ndarray) -> pa.Array:
    values = [getattr(v, attribute) for t in sorted(estate.catalogue) for v in estate.catalogue[t]]
    return _coded(values, global_variant)


def _coded(values: list[str] | tuple[str, ...], indices: np.ndarray) -> pa.Array:
    """Low-cardinality text as dictionary codes: no per-row strings in memory or in the file."""
    return pa.DictionaryArray.from_arrays(pa.array(indices.astype(np.int32)), pa.array(values))


_CODED_COLUMNS = [
    "region", "supplier", "device_type", "manufacturer", "model", "hardware_version",
    "firmware_version",
]  # fmt: skip


def inventory_table(estate: es.Estate, seed: int) -> pa.Table:
    sizes = [len(estate.catalogue[t]) for t in range(len(es.DEVICE_TYPES))]
    type_offset = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    global_variant = type_offset[estate.dev_type] + estate.dev_variant
    inst = pa.array(estate.dev_installation)
    return pa.table(
        {
            "device_id": device_id_array(estate, seed),
            "installation_id": _installation_ids(estate.installations).take(inst),
            "region": _coded(es.REGIONS, estate.inst_region[estate.dev_installation]),
            "supplier": _coded(es.SUPPLIERS, estate.inst_supplier[estate.dev_installation]),
            "device_type": _catalogue_column(estate, "device_type", global_variant),
            "manufacturer": _catalogue_column(estate, "manufacturer", global_variant),
            "model": _catalogue_column(estate, "model", global_variant),
            "hardware_version": _catalogue_column(estate, "hardware_version", global_variant),
            "firmware_version": _catalogue_column(estate, "firmware_version", global_variant),
        }
    )


def _vary_device_ids(ids: pa.Array, seed: int) -> pa.Array:
    """CSV only: about 5% of ids lower-case and 5% without hyphens, as real exports vary."""
    rng = np.random.default_rng([seed, 4, len(ids)])
    draw = rng.random(len(ids))
    bare = pc.replace_substring(ids, "-", "")
    return pc.if_else(draw < 0.05, pc.utf8_lower(ids), pc.if_else(draw < 0.10, bare, ids))


def write_inventory(estate: es.Estate, seed: int, path: Path) -> pa.Array:
    """Write the inventory; return the canonical Device IDs (device order) for the alert files."""
    table = inventory_table(estate, seed)
    if path.suffix == ".csv":
        varied = table.set_column(0, "device_id", _vary_device_ids(table["device_id"], seed))
        for name in _CODED_COLUMNS:
            index = varied.schema.get_field_index(name)
            varied = varied.set_column(index, name, varied[name].cast(pa.string()))
        pacsv.write_csv(varied, path, pacsv.WriteOptions(quoting_style="needed"))
    else:
        pq.write_table(table, path, compression="snappy", use_dictionary=_CODED_COLUMNS)
    return table["device_id"].combine_chunks()


def _iso_times(raised_at: pa.Array, seed: int) -> pa.Array:
    """ISO-8601 with a zone: mostly `Z`, some `+00:00`, some the same instant at `+01:00`."""
    rng = np.random.default_rng([seed, 5, len(raised_at)])
    draw = rng.random(len(raised_at))
    utc = pc.strftime(raised_at, format="%Y-%m-%dT%H:%M:%S")
    shifted = pc.add(raised_at, pa.scalar(3_600_000_000, pa.duration("us")))
    plus_one = pc.binary_join_element_wise(
        pc.strftime(shifted, format="%Y-%m-%dT%H:%M:%S"), "+01:00", ""
    )
    return pc.if_else(
        draw < 0.05,
        plus_one,
        pc.if_else(
            draw < 0.15,
            pc.binary_join_element_wise(utc, "+00:00", ""),
            pc.binary_join_element_wise(utc, "Z", ""),
        ),
    )


def write_alerts_csv(table: pa.Table, path: Path, seed: int) -> None:
    csv_table = pa.table(
        {
            "device_id": _vary_device_ids(table["device_id"].combine_chunks(), seed),
            "alert_code": table["alert_code"].cast(pa.string()),
            "raised_at": _iso_times(table["raised_at"].combine_chunks(), seed),
            "throttled_count": table["throttled_count"],
        }
    )
    with pa.CompressedOutputStream(str(path), "gzip") as stream:
        pacsv.write_csv(csv_table, stream, pacsv.WriteOptions(quoting_style="needed"))


def _duis_message(device_id: str, code: str, raised_at: str, counter: int, throttled: int) -> str:
    dcc = not (len(code) == 4 and all(c in "0123456789ABCDEF" for c in code))
    body = (
        f"<sr:DCCAlertMessage><sr:DCCAlertCode>{escape(code)}</sr:DCCAlertCode></sr:DCCAlertMessage>"
        if dcc
        else f"<sr:DeviceAlertMessage><sr:AlertCode>{code}</sr:AlertCode></sr:DeviceAlertMessage>"
    )
    throttle = f"<sr:ThrottledAlertCount>{throttled}</sr:ThrottledAlertCount>" if throttled else ""
    return (
        '<sr:Response schemaVersion="5.1"><sr:Header>'
        f"<sr:RequestID>{_SERVICE_USER}:{device_id}:{counter}</sr:RequestID>"
        f"<sr:ResponseID>{device_id}:{_SERVICE_USER}:{counter}</sr:ResponseID>"
        f"<sr:ResponseCode>I0</sr:ResponseCode><sr:ResponseDateTime>{raised_at}</sr:ResponseDateTime>"
        f"</sr:Header><sr:Body>{body}{throttle}</sr:Body></sr:Response>\n"
    )


def write_alerts_duis(table: pa.Table, path: Path) -> None:
    """Many DUIS `Response` messages in one wrapper element (small samples only)."""
    times = pc.strftime(table["raised_at"].combine_chunks(), format="%Y-%m-%dT%H:%M:%S").to_pylist()
    devices = table["device_id"].to_pylist()
    codes = table["alert_code"].cast(pa.string()).to_pylist()
    throttled = table["throttled_count"].fill_null(0).to_pylist()
    with (
        gzip.open(path, "wt", encoding="utf-8")
        if path.suffix == ".gz"
        else path.open("w", encoding="utf-8") as out
    ):
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        out.write('<sr:DUISMessages xmlns:sr="http://www.dccinterface.co.uk/ServiceUserGateway">\n')
        for counter, row in enumerate(zip(devices, codes, times, throttled, strict=True), start=1):
            device, code, when, count = row
            out.write(_duis_message(device, code, when + "Z", counter, count))
        out.write("</sr:DUISMessages>\n")
