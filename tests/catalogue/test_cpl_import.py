"""`kir catalogue import-cpl`: all or nothing, every bad row reported, re-import is a no-op."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from kir.audit.models import AuditEvent
from kir.catalogue.models import CplStatus, DeviceModel, DeviceVersion, Manufacturer
from tests.catalogue.cplfiles import GOOD_ROWS, rows_with, write_csv, write_xlsx
from tests.factories import DeviceVersionFactory

pytestmark = pytest.mark.django_db


def run_import(path, *extra):
    out, err = io.StringIO(), io.StringIO()
    call_command("catalogue", "import-cpl", str(path), *extra, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def run_failing_import(path, *extra):
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("catalogue", "import-cpl", str(path), *extra, stdout=out, stderr=err)
    return str(raised.value), err.getvalue()


def counts():
    return (
        Manufacturer.objects.count(),
        DeviceModel.objects.count(),
        DeviceVersion.objects.count(),
        AuditEvent.objects.count(),
    )


def test_it_imports_a_good_csv(tmp_path):
    out, _ = run_import(write_csv(tmp_path / "cpl.csv", GOOD_ROWS))
    assert "3 created, 0 changed, 0 unchanged" in out
    version = DeviceVersion.objects.get(cpl_entry_id="CPL-0001")
    assert version.firmware_version == "00020104"
    assert version.device_model.model_id == "0001A2F3"
    assert version.device_model.device_type == "ESME"
    assert version.device_model.manufacturer.identifier == "10A5"
    assert version.cpl_status == CplStatus.LISTED
    assert version.cpl_listed_on == date(2023, 4, 3)
    removed = DeviceVersion.objects.get(cpl_entry_id="CPL-0003")
    assert removed.cpl_status == CplStatus.REMOVED
    assert removed.cpl_removed_on == date(2024, 2, 29)
    assert Manufacturer.objects.count() == 2
    assert DeviceModel.objects.count() == 2


def test_it_imports_a_good_xlsx_with_upper_case_headers(tmp_path):
    out, _ = run_import(write_xlsx(tmp_path / "cpl.xlsx", GOOD_ROWS))
    assert "3 created, 0 changed, 0 unchanged" in out
    assert DeviceVersion.objects.get(cpl_entry_id="CPL-0003").cpl_removed_on == date(2024, 2, 29)


def test_it_reads_dates_stored_as_dates_in_xlsx(tmp_path):
    rows = rows_with(0, listed_on=date(2023, 4, 3))
    run_import(write_xlsx(tmp_path / "cpl.xlsx", rows))
    assert DeviceVersion.objects.get(cpl_entry_id="CPL-0001").cpl_listed_on == date(2023, 4, 3)


def test_it_records_each_creation_in_the_audit_log(tmp_path, secas_admin):
    run_import(write_csv(tmp_path / "cpl.csv", GOOD_ROWS), "--actor", secas_admin.username)
    verbs = list(AuditEvent.objects.values_list("verb", flat=True))
    assert verbs.count("catalogue.device_version_created") == 3
    assert verbs.count("catalogue.manufacturer_created") == 2
    assert verbs[-1] == "catalogue.cpl_imported"
    assert set(AuditEvent.objects.values_list("actor", flat=True)) == {secas_admin.pk}


def test_it_changes_nothing_when_the_same_file_is_imported_again(tmp_path):
    path = write_csv(tmp_path / "cpl.csv", GOOD_ROWS)
    run_import(path)
    before = counts()
    out, _ = run_import(path)
    assert "0 created, 0 changed, 3 unchanged" in out
    assert counts() == before


def test_it_records_a_changed_entry_with_before_and_after(tmp_path, secas_admin):
    run_import(write_csv(tmp_path / "cpl.csv", GOOD_ROWS))
    changed = rows_with(1, cpl_status="removed", removed_on="2025-06-30")
    out, _ = run_import(write_csv(tmp_path / "cpl2.csv", changed), "--actor", secas_admin.username)
    assert "0 created, 1 changed, 2 unchanged" in out
    assert "changed: CPL-0002" in out
    version = DeviceVersion.objects.get(cpl_entry_id="CPL-0002")
    assert version.cpl_status == CplStatus.REMOVED
    event = AuditEvent.objects.get(verb="catalogue.device_version_changed")
    assert event.actor == secas_admin
    assert event.target_id == str(version.pk)
    assert event.data["before"] == {"cpl_status": "listed", "cpl_removed_on": None}
    assert event.data["after"] == {"cpl_status": "removed", "cpl_removed_on": "2025-06-30"}


def test_it_records_a_renamed_model(tmp_path):
    run_import(write_csv(tmp_path / "cpl.csv", GOOD_ROWS))
    renamed = [
        {**row, "model_name": "Meterix E470-S"}
        if row["model_id"].upper().replace("-", "") == "0001A2F3"
        else row
        for row in GOOD_ROWS
    ]
    out, _ = run_import(write_csv(tmp_path / "cpl2.csv", renamed))
    assert "0 created, 1 changed, 2 unchanged" in out
    event = AuditEvent.objects.get(verb="catalogue.device_model_changed")
    assert event.data["before"] == {"name": "Meterix E470 Single Phase"}


def test_a_dry_run_reports_but_saves_nothing(tmp_path):
    before = counts()
    out, _ = run_import(write_csv(tmp_path / "cpl.csv", GOOD_ROWS), "--dry-run")
    assert "3 created, 0 changed, 0 unchanged (dry run: nothing saved)" in out
    assert counts() == before


BAD_ROWS = [
    (
        {"manufacturer_id": "10G5"},
        "manufacturer_id",
        "'10G5' is not 4 hex digits (expected 4 hex digits, e.g. 10A5)",
    ),
    ({"model_id": "0001A2F"}, "model_id", "'0001A2F' is not 8 hex digits"),
    ({"firmware_version": "2.1.4"}, "firmware_version", "'2.1.4' is not 8 hex digits"),
    (
        {"device_type": "WATER"},
        "device_type",
        "unknown value 'WATER' (expected one of ESME, GSME, CHF, GPF, PPMID, HCALCS, IHD, CAD)",
    ),
    ({"listed_on": "03/04/2023"}, "listed_on", "'03/04/2023' is not a date (expected an ISO date"),
    ({"removed_on": "2023-02-30"}, "removed_on", "'2023-02-30' is not a date"),
    (
        {"removed_on": "2020-01-01"},
        "removed_on",
        "2020-01-01 is before listed_on 2024-01-15 (expected a date on or after listed_on)",
    ),
    ({"cpl_status": "approved"}, "cpl_status", "unknown value 'approved' (expected one of listed"),
    ({"model_name": ""}, "model_name", "missing value (expected a value in every row)"),
    ({"cpl_entry_id": ""}, "cpl_entry_id", "missing value"),
    (
        {"hardware_version": "rev 2 (new)"},
        "hardware_version",
        "'rev 2 (new)' is not allowed here (expected up to 8 letters, digits, '.' or '-')",
    ),
    ({"cpl_entry_id": "CPL-0001"}, "cpl_entry_id", "duplicate entry 'CPL-0001', already on row 2"),
    (
        {"manufacturer_name": "Meterix Ltd"},
        "manufacturer_name",
        "manufacturer 10A5 is named 'Meterix Metering Ltd' on row 2",
    ),
    ({"device_type": "GSME"}, "device_type", "model 10A5/0001A2F3 has device_type 'ESME' on row 2"),
    (
        {"firmware_version": "00020104"},
        "firmware_version",
        "the same model, hardware and firmware is entry 'CPL-0001' on row 2",
    ),
]


@pytest.mark.parametrize(("change", "column", "message"), BAD_ROWS)
@pytest.mark.parametrize("writer", [write_csv, write_xlsx], ids=["csv", "xlsx"])
def test_it_names_the_row_and_column_of_a_bad_value(tmp_path, writer, change, column, message):
    suffix = "csv" if writer is write_csv else "xlsx"
    path = writer(tmp_path / f"cpl.{suffix}", rows_with(1, **change))
    before = counts()
    error, err = run_failing_import(path)
    assert f"{path}:row 3: column {column}: {message}" in err
    assert "nothing imported" in error
    assert counts() == before


def test_it_reports_every_bad_row_and_imports_none(tmp_path):
    rows = rows_with(0, firmware_version="xyz", listed_on="")
    rows[2]["device_type"] = "METER"
    path = write_csv(tmp_path / "cpl.csv", rows)
    error, err = run_failing_import(path)
    lines = err.strip().splitlines()
    assert lines == [
        f"{path}:row 2: column firmware_version: 'xyz' is not 8 hex digits "
        "(expected 8 hex digits, e.g. 00020104)",
        f"{path}:row 2: column listed_on: missing value (expected a value in every row)",
        f"{path}:row 4: column device_type: unknown value 'METER' "
        "(expected one of ESME, GSME, CHF, GPF, PPMID, HCALCS, IHD, CAD)",
    ]
    assert error == f"{path}: 2 bad rows; nothing imported"
    assert DeviceVersion.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_it_counts_rows_as_a_spreadsheet_does_skipping_blank_lines(tmp_path):
    path = write_csv(tmp_path / "cpl.csv", rows_with(1, model_id="nope"))
    text = path.read_text().splitlines()
    path.write_text("\n".join([text[0], ",,,,,,,,,,,", *text[1:]]) + "\n")
    _, err = run_failing_import(path)
    assert f"{path}:row 4: column model_id:" in err


def test_it_explains_a_hex_id_that_a_spreadsheet_turned_into_a_number(tmp_path):
    path = write_xlsx(tmp_path / "cpl.xlsx", rows_with(0, firmware_version=20104))
    _, err = run_failing_import(path)
    assert "row 2: column firmware_version: '20104' is not 8 hex digits" in err
    assert "stored it as a number" in err


def test_it_names_a_missing_column(tmp_path):
    columns = ("cpl_entry_id", "manufacturer_id", "manufacturer_name", "model_id", "model_name")
    path = write_csv(tmp_path / "cpl.csv", GOOD_ROWS, columns=columns)
    error, _ = run_failing_import(path)
    assert error.startswith(f"{path}: missing columns: device_type, smets_version,")
    assert DeviceVersion.objects.count() == 0


def test_it_accepts_a_file_without_the_optional_removed_on_column(tmp_path):
    columns = tuple(c for c in GOOD_ROWS[0] if c != "removed_on")
    out, _ = run_import(write_csv(tmp_path / "cpl.csv", GOOD_ROWS[:2], columns=columns))
    assert "2 created" in out


def test_it_refuses_an_entry_id_that_names_another_device_in_the_catalogue(tmp_path):
    run_import(write_csv(tmp_path / "cpl.csv", GOOD_ROWS))
    before = counts()
    moved = rows_with(1, firmware_version="00030000")
    moved.append({**GOOD_ROWS[0], "cpl_entry_id": "CPL-0009", "hardware_version": "0200"})
    path = write_csv(tmp_path / "cpl2.csv", moved)
    _, err = run_failing_import(path)
    assert f"{path}:row 3: column cpl_entry_id: entry 'CPL-0002' is already" in err
    assert counts() == before


def test_it_refuses_a_device_listed_under_another_entry_id(tmp_path):
    DeviceVersionFactory(
        cpl_entry_id="OLD-1",
        device_model__manufacturer__identifier="10A5",
        device_model__model_id="0001A2F3",
        hardware_version="0102",
        firmware_version="00020104",
    )
    path = write_csv(tmp_path / "cpl.csv", GOOD_ROWS)
    _, err = run_failing_import(path)
    assert (
        "row 2: column cpl_entry_id: this model, hardware and firmware is already entry 'OLD-1'"
        in err
    )


def test_it_refuses_a_file_of_unknown_type(tmp_path):
    path = tmp_path / "cpl.txt"
    path.write_text("x")
    error, _ = run_failing_import(path)
    assert error == f"{path}: unknown file type .txt (expected .csv or .xlsx)"


def test_it_refuses_a_corrupt_workbook(tmp_path):
    path = tmp_path / "cpl.xlsx"
    path.write_bytes(b"not a zip file")
    error, _ = run_failing_import(path)
    assert error.startswith(f"{path}: not a readable XLSX workbook")


def test_it_refuses_an_unknown_actor(tmp_path):
    error, _ = run_failing_import(write_csv(tmp_path / "cpl.csv", GOOD_ROWS), "--actor", "nobody")
    assert error == "--actor nobody: no such user"


def test_a_re_import_reads_the_catalogue_once_instead_of_once_per_row(
    tmp_path, django_assert_max_num_queries
):
    rows = [
        {**GOOD_ROWS[0], "cpl_entry_id": f"CPL-{n}", "firmware_version": f"{n:08X}"}
        for n in range(40)
    ]
    path = write_csv(tmp_path / "cpl.csv", rows)
    run_import(path)
    with django_assert_max_num_queries(10):
        out, _ = run_import(path)
    assert "0 created, 0 changed, 40 unchanged" in out
