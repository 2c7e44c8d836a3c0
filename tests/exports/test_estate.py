"""The estate check: reading estate files (every bad row named, nothing half-checked), matching
through the procurement pipeline and visibility, installations at stake, saved estates kept for
their organisation alone, and `estate_matches` for the "my estate" subscription."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from kir.audit.models import AuditEvent
from kir.exports.estate import estate_check, estate_matches, saved_estate_get, saved_estates_for
from kir.exports.estate_input import EstateFileError, parse_estate_file
from kir.exports.estate_services import estate_delete, estate_save
from kir.register.errors import PermissionRefused
from tests.factories import DeviceVersionFactory, DMCFactory
from tests.register.ui_cast import UiCast, make_ui_cast

HEADER = "manufacturer,model,firmware,dmc,installations\n"
COUNT = "expected empty, or a whole number from 0 to 2147483647"


@pytest.fixture
def cast(db) -> UiCast:
    return make_ui_cast()


def csv_file(text: str) -> io.BytesIO:
    return io.BytesIO(text.encode("utf-8-sig"))


def xlsx_file(rows: list[list[object]]) -> io.BytesIO:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    data = io.BytesIO()
    book.save(data)
    data.seek(0)
    return data


def test_a_csv_estate_is_read_with_repeated_lines_summed():
    found = parse_estate_file(
        csv_file(HEADER + "1a2b,00012345,01020304,,100\n1A2B,0x00012345,01020304,,20\n"), "e.csv"
    )
    assert found.errors == []
    [line] = found.lines
    assert (line.label, line.installations, line.rows) == ("1A2B/00012345/01020304", 120, [2, 3])


def test_an_xlsx_estate_takes_numbers_as_counts_and_other_column_names():
    rows = [["Manufacturer ID", "Model ID", "Firmware Version", "Count", "Site"]]
    rows += [
        ["1A2B", "00012345", "01020304", 7.0, "ignored"],
        ["1A2B", "00012345", "0102FFFF", None, ""],
    ]
    found = parse_estate_file(xlsx_file(rows), "estate.xlsx")
    assert [(line.firmware, line.installations) for line in found.lines] == [
        ("01020304", 7),
        ("0102FFFF", None),
    ]


def test_every_bad_row_is_named_by_row_and_column():
    text = (
        HEADER + "1A2B,00012345,01020304,,5\nZZZZ,123,01020304,DMC-1,-3\n,00012345,01020304,,1.5\n"
    )
    found = parse_estate_file(csv_file(text), "e.csv")
    assert [str(error) for error in found.errors] == [
        "row 3: column manufacturer: got 'ZZZZ' (expected 4 hex digits, e.g. 1A2B)",
        "row 3: column model: got '123' (expected 8 hex digits, e.g. 00012345)",
        "row 3: column dmc: got 'DMC-1' (expected empty, or DMC- and 12 hex digits)",
        f"row 3: column installations: got '-3' ({COUNT})",
        "row 4: column manufacturer: missing (expected 4 hex digits, e.g. 1A2B)",
        f"row 4: column installations: got '1.5' ({COUNT})",
    ]


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"model,firmware\n00012345,01020304\n", "e.csv", "missing column: manufacturer"),
        (b"\xff\xfe\x00bad", "e.csv", "not UTF-8 text"),
        (b"not a zip", "e.xlsx", "not a readable XLSX workbook"),
        (b"", "e.txt", "unknown file type .txt"),
        (HEADER.encode(), "e.csv", "no lines"),
    ],
)
def test_an_unreadable_file_is_refused_whole(content, name, message):
    with pytest.raises(EstateFileError, match=message):
        parse_estate_file(io.BytesIO(content), name)


def lines(text: str):
    found = parse_estate_file(csv_file(HEADER + text), "e.csv")
    assert found.errors == []
    return found.lines


def test_the_check_finds_published_issues_with_installations_at_stake(cast):
    later = DeviceVersionFactory(
        device_model=cast.version.device_model, firmware_version="0102FFFF"
    )
    within = DMCFactory(identifier="DMC-00000000000A", members=[cast.version, later])
    elsewhere = DMCFactory(identifier="DMC-00000000000B", members=[cast.version])
    by_version = cast.published(title="By version")
    by_dmc = cast.published(title="By DMC", products=[{"dmc": within, "status": "known_affected"}])
    other_dmc = cast.published(title="Other DMC", products=[{"dmc": elsewhere, "status": "fixed"}])
    cast.draft(title="A draft is not published")
    withdrawn = cast.step(cast.published(title="Withdrawn"), "withdraw", cast.admin_a, "dup")
    estate = lines(
        "1A2B,00012345,01020304,DMC-00000000000A,300\n"
        "1A2B,00012345,01020304,,50\n"
        "9999,00000001,00000001,,7\n"
    )
    check = estate_check(user=cast.other_supplier, lines=estate)
    found = {issue.human_id: issue for issue in check.issues}
    assert set(found) == {by_version.human_id, by_dmc.human_id, other_dmc.human_id}
    assert withdrawn.human_id not in found
    assert found[by_version.human_id].installations == 350  # both lines hold the version
    # A line without a DMC may be in any DMC holding its version; a line within one is not in
    # another.
    assert found[by_dmc.human_id].installations == 350
    assert found[other_dmc.human_id].installations == 50
    # Most at stake first, then the newest publication.
    assert [i.human_id for i in check.issues] == [
        by_dmc.human_id,
        by_version.human_id,
        other_dmc.human_id,
    ]
    assert [line.label for line in check.not_in_catalogue] == ["9999/00000001/00000001"]
    assert (check.lines, check.installations) == (3, 357)


def test_the_check_sees_what_the_user_may_see(cast):
    cast.published()
    estate = lines("1A2B,00012345,01020304,,5\n")
    assert estate_check(user=cast.other_supplier, lines=estate).issues
    cast.other_supplier.is_active = False
    cast.other_supplier.save()
    assert estate_check(user=cast.other_supplier, lines=estate).issues == []


def test_a_saved_estate_is_seen_only_by_its_organisation(cast):
    estate = estate_save(
        actor=cast.reporter, name="North fleet", lines=lines("1A2B,00012345,01020304,,5\n")
    )
    assert AuditEvent.objects.filter(verb="estate.saved").count() == 1
    assert list(saved_estates_for(user=cast.reporter_viewer)) == [estate]
    assert list(saved_estates_for(user=cast.other_supplier)) == []
    assert list(saved_estates_for(user=cast.dcc)) == []
    with pytest.raises(Exception, match="No such estate"):
        saved_estate_get(user=cast.other_supplier, estate_id=estate.pk)
    with pytest.raises(PermissionRefused):
        estate_save(
            actor=cast.reporter_viewer, name="x", lines=lines("1A2B,00012345,01020304,,5\n")
        )
    with pytest.raises(PermissionRefused):
        estate_delete(actor=cast.other_supplier, estate=estate)
    estate_delete(actor=cast.reporter, estate=estate)
    assert list(saved_estates_for(user=cast.reporter)) == []


def test_estate_matches_names_the_lines_an_issue_touches(cast):
    within = DMCFactory(identifier="DMC-00000000000A", members=[cast.version])
    elsewhere = DMCFactory(identifier="DMC-00000000000B", members=[cast.version])
    later = DeviceVersionFactory(
        device_model=cast.version.device_model, firmware_version="0102FFFF"
    )
    estate = estate_save(
        actor=cast.reporter,
        name="Fleet",
        lines=lines("1A2B,00012345,01020304,DMC-00000000000A,300\n1A2B,00012345,0102FFFF,,9\n"),
    )
    first, _ = estate.lines.all()
    assert estate_matches(estate=estate, issue=cast.published()) == [first]
    dmc_issue = cast.published(products=[{"dmc": within, "status": "known_affected"}])
    assert estate_matches(estate=estate, issue=dmc_issue) == [first]
    other_dmc = cast.published(products=[{"dmc": elsewhere, "status": "known_affected"}])
    assert estate_matches(estate=estate, issue=other_dmc) == []
    both = cast.draft(
        products=[
            {"device_version": cast.version, "status": "known_affected"},
            {"device_version": later, "status": "known_affected"},
        ]
    )
    assert estate_matches(estate=estate, issue=both) == []  # a draft is not published
    both = cast.step(
        cast.step(both, "submit_for_assessment", cast.reporter), "notify_manufacturer", cast.admin_a
    )
    assert estate_matches(estate=estate, issue=both) == []
