"""DUIS XML alert messages -> rows (device_id, alert_code, raised_at, throttled_count).

A file holds one `Response` or any wrapper element around many of them; namespaces are ignored so
that both the `sr:` prefixed and unprefixed forms parse. iterparse keeps memory flat on big files.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from kir.tracker.engine.errors import InputFileError

DUIS_SCHEMA = pa.schema(
    [
        ("device_id", pa.string()),
        ("alert_code", pa.string()),
        ("raised_at", pa.string()),
        ("throttled_count", pa.string()),
        ("duis_message", pa.int64()),
    ]
)
_BATCH_ROWS = 100_000


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _find_text(element: ET.Element, name: str) -> str | None:
    for child in element.iter():
        if _local(child.tag) == name:
            return (child.text or "").strip()
    return None


def _message_row(message: ET.Element, index: int) -> dict[str, object] | None:
    """One alert message as a row; None when the Response carries no alert at all."""
    code = _find_text(message, "AlertCode")
    if code is None:
        code = _find_text(message, "DCCAlertCode")
    if code is None and not any(
        _local(e.tag) in ("DeviceAlertMessage", "DCCAlertMessage") for e in message.iter()
    ):
        return None
    response_id = _find_text(message, "ResponseID") or ""
    # ResponseID is originator:target:counter and the originator is the alerting device.
    originator = response_id.split(":", 1)[0] if ":" in response_id else None
    return {
        "device_id": originator,
        "alert_code": code,
        "raised_at": _find_text(message, "ResponseDateTime"),
        "throttled_count": _find_text(message, "ThrottledAlertCount"),
        "duis_message": index,
    }


def iter_duis_rows(path: Path) -> Iterator[dict[str, object]]:
    index = 0
    try:
        for _event, element in ET.iterparse(path, events=("end",)):
            if _local(element.tag) != "Response":
                continue
            index += 1
            row = _message_row(element, index)
            element.clear()
            if row is not None:
                yield row
    except ET.ParseError as exc:
        line, column = exc.position
        raise InputFileError(
            path, f"not well-formed XML at line {line}, column {column}: {exc}"
        ) from None


def duis_to_parquet(path: Path, out: Path) -> int:
    """Convert one DUIS XML file; returns the number of alert messages written."""
    written = 0
    with pq.ParquetWriter(out, DUIS_SCHEMA) as writer:
        batch: list[dict[str, object]] = []
        for row in iter_duis_rows(path):
            batch.append(row)
            if len(batch) >= _BATCH_ROWS:
                writer.write_table(pa.Table.from_pylist(batch, schema=DUIS_SCHEMA))
                written += len(batch)
                batch = []
        if batch or written == 0:
            writer.write_table(pa.Table.from_pylist(batch, schema=DUIS_SCHEMA))
            written += len(batch)
    return written
