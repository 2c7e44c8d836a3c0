"""No template formats a date for people by itself: every one goes through long_date or
long_datetime (kir/formatting.py), so the register reads one way. `|date:` is left only for
machine-readable `<time datetime="...">` attributes, in ISO 8601."""

from __future__ import annotations

import re
from pathlib import Path

import kir

SRC = Path(kir.__file__).parent
# A `|date:` or `|time:` anywhere, with whatever format follows it.
RAW_FORMAT = re.compile(r"\|(?:date|time)(?::(?:\"[^\"]*\"|'[^']*'))?")
# The one use allowed: an ISO value inside a datetime attribute.
MACHINE_READABLE = re.compile(r"datetime=\"\{\{ [\w.]+\|date:'(?:c|Y-m-d)' \}\}\"")


def raw_date_formats(root: Path) -> list[str]:
    found = []
    for path in sorted(root.rglob("templates/**/*")):
        if path.suffix not in {".html", ".txt"}:
            continue
        for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
            for match in RAW_FORMAT.finditer(MACHINE_READABLE.sub("", line)):
                found.append(f"{path.relative_to(root)}:{number}: {match.group(0)}")
    return found


def test_no_template_formats_a_date_for_people_by_itself():
    assert raw_date_formats(SRC) == []


def test_it_finds_a_raw_format_and_spares_the_datetime_attribute(tmp_path):
    folder = tmp_path / "app" / "templates" / "app"
    folder.mkdir(parents=True)
    (folder / "page.html").write_text(
        "<time datetime=\"{{ x.at|date:'c' }}\">{{ x.at|long_date }}</time>\n"
        '{{ x.at|date:"j M Y" }} {{ x.at|time }}\n'
    )
    assert raw_date_formats(tmp_path) == [
        'app/templates/app/page.html:2: |date:"j M Y"',
        "app/templates/app/page.html:2: |time",
    ]
