"""A CPL file cannot take unbounded memory or end in a traceback, and only SECAS or DCC
administrators may be named as its importer."""

from __future__ import annotations

import zipfile

import pytest

from kir.accounts.models import PartyCategory, Role
from kir.audit.models import AuditEvent
from kir.catalogue import cpl
from kir.catalogue.cpl_import import CplImportNotAllowed, cpl_import_rows
from kir.catalogue.models import DeviceVersion
from tests.catalogue.cplfiles import GOOD_ROWS, rows_with, write_csv, write_xlsx
from tests.catalogue.test_cpl_import import run_failing_import, run_import
from tests.factories import OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_it_names_the_row_and_column_of_a_field_over_the_csv_modules_limit(tmp_path):
    path = write_csv(tmp_path / "cpl.csv", rows_with(1, model_name="x" * 200_000))
    message, errors = run_failing_import(path)
    assert errors.strip() == (
        f"{path}:row 3: column model_name: too long (200000 characters) "
        f"(expected at most {cpl.MAX_CELL_CHARACTERS} characters)"
    )
    assert "nothing imported" in message
    assert not DeviceVersion.objects.exists()


def test_it_names_the_row_and_column_of_a_nul_character(tmp_path):
    path = write_csv(tmp_path / "cpl.csv", rows_with(2, manufacturer_name="Hub\x00line"))
    _, errors = run_failing_import(path)
    assert errors.strip() == (
        f"{path}:row 4: column manufacturer_name: "
        "contains a NUL character (expected printable text)"
    )


def test_it_refuses_a_file_over_the_size_limit_before_reading_it(tmp_path, monkeypatch):
    path = write_csv(tmp_path / "cpl.csv", GOOD_ROWS)
    monkeypatch.setattr(cpl, "MAX_FILE_BYTES", path.stat().st_size - 1)
    message, _ = run_failing_import(path)
    assert message == (
        f"{path}: the file has {path.stat().st_size} bytes "
        f"(expected at most {path.stat().st_size - 1})"
    )


@pytest.mark.parametrize("writer", [write_csv, write_xlsx], ids=["csv", "xlsx"])
def test_it_refuses_more_rows_than_the_limit(tmp_path, monkeypatch, writer):
    monkeypatch.setattr(cpl, "MAX_ROWS", 2)
    path = writer(tmp_path / f"cpl.{writer.__name__.removeprefix('write_')}", GOOD_ROWS)
    message, _ = run_failing_import(path)
    assert message == f"{path}: more than 2 rows (expected at most 2 entries)"
    assert not DeviceVersion.objects.exists()
    monkeypatch.setattr(cpl, "MAX_ROWS", 3)
    run_import(path)
    assert DeviceVersion.objects.count() == 3


def test_it_stops_reading_an_xlsx_at_the_first_row_over_the_limit(tmp_path, monkeypatch):
    path = write_xlsx(tmp_path / "cpl.xlsx", GOOD_ROWS)
    monkeypatch.setattr(cpl, "MAX_ROWS", 1)
    read = []
    real = cpl._non_empty_rows

    def counting(rows):
        for row in real(rows):
            read.append(row[0])
            yield row

    monkeypatch.setattr(cpl, "_non_empty_rows", counting)
    run_failing_import(path)
    assert read == [2]


def test_it_refuses_an_xlsx_that_unpacks_beyond_the_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(cpl, "MAX_XLSX_UNPACKED_BYTES", 100_000)
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/sharedStrings.xml", b"\0" * 100_001)
    assert path.stat().st_size < 1000
    message, _ = run_failing_import(path)
    assert message == (f"{path}: the workbook unpacks to 100001 bytes (expected at most 100000)")


@pytest.mark.parametrize(
    ("category", "role"),
    [
        (PartyCategory.ELECTRICITY_NETWORK_OPERATOR, Role.VIEWER),
        (PartyCategory.ELECTRICITY_NETWORK_OPERATOR, Role.ADMINISTRATOR),
        (PartyCategory.MANUFACTURER, Role.ADMINISTRATOR),
        (PartyCategory.SECAS, Role.COORDINATOR),
    ],
)
def test_only_secas_or_dcc_administrators_may_be_named_as_importer(tmp_path, category, role):
    user = UserFactory(
        username="someone", organisation=OrganisationFactory(category=category), role=role
    )
    path = write_csv(tmp_path / "cpl.csv", GOOD_ROWS)
    message, _ = run_failing_import(path, "--actor", "someone")
    assert message == (
        "--actor someone: may not import the catalogue (only administrators of SECAS or DCC may)"
    )
    parsed = cpl.parse_cpl_file(path)
    with pytest.raises(CplImportNotAllowed):
        cpl_import_rows(rows=parsed.rows, actor=user, source="test")
    assert not DeviceVersion.objects.exists() and not AuditEvent.objects.exists()


@pytest.mark.parametrize("category", [PartyCategory.SECAS, PartyCategory.DCC])
def test_secas_and_dcc_administrators_may_import(tmp_path, category):
    UserFactory(
        username="importer",
        organisation=OrganisationFactory(category=category),
        role=Role.ADMINISTRATOR,
    )
    run_import(write_csv(tmp_path / "cpl.csv", GOOD_ROWS), "--actor", "importer")
    assert DeviceVersion.objects.count() == 3
