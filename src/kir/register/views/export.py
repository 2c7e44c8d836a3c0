"""The register list's results (every page, the list's filters) as CSV and as XLSX.

Both are streamed from one iterator over the queryset, with the same columns and values: exactly
what the selectors let this user see. CSV is UTF-8 with a byte-order mark (so Excel reads it as
UTF-8), ISO dates, and cells that a spreadsheet would run as formulas quoted as text. XLSX has
dates as dates and numbers as numbers (kir.exports.xlsx). `?rows=product` gives one row per issue
and affected product instead of one per issue.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, StreamingHttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from kir.exports.xlsx import XLSX_CONTENT_TYPE, Column, SheetSpec, xlsx_chunks
from kir.register.forms import IssueFilterForm
from kir.register.models import AffectedProduct, Issue, RootCauseStatus
from kir.register.selectors import issue_search_queryset
from kir.register.services.policy import policy_in_force
from kir.register.views.browse import search_arguments
from kir.register.views.common import acting_user

ISSUE_COLUMNS = (
    Column("human_id", 16),
    Column("title", 50),
    Column("state", 16),
    Column("disputed", 10),
    Column("category", 18),
    Column("regions", 14),
    Column("evidence_level", 16),
    Column("root_cause_status", 18),
    Column("impact_level", 12),
    Column("excess_alerts_per_day", 12, "number"),
    Column("installations_affected", 12, "number"),
    Column("affected_products", 40),
    Column("reporter", 24),
    Column("created_at", 20, "datetime"),
    Column("updated_at", 20, "datetime"),
    Column("published_at", 20, "datetime"),
)
PRODUCT_COLUMNS = (
    Column("product", 30),
    Column("product_status", 20),
    Column("first_fixed_firmware", 12),
)
BOM = "\ufeff"
CHUNK_SIZE = 500


# The issue fields the columns show, read as plain values: model objects for 20,000 issues and
# their products cost several times the database work.
_ISSUE_FIELDS = (
    "id",
    "human_id",
    "title",
    "state",
    "root_cause_status",
    "category",
    "regions",
    "evidence_level",
    "impact_level",
    "excess_alerts_per_day",
    "installations_affected",
    "reporter_organisation__name",
    "created_at",
    "updated_at",
    "published_at",
)
_PRODUCT_FIELDS = (
    "issue_id",
    "status",
    "first_fixed_firmware",
    "device_version__device_model__name",
    "device_version__device_model__device_type",
    "device_version__device_model__manufacturer__identifier",
    "device_version__device_model__model_id",
    "device_version__hardware_version",
    "device_version__firmware_version",
    "dmc__name",
    "dmc__identifier",
)


def _product_label(values: tuple[Any, ...]) -> str:
    """str() of the product's device version, or "DMC " and str() of its DMC."""
    name, device_type, manufacturer, model, hardware, firmware, dmc_name, dmc_id = values
    if dmc_id is not None:
        return f"DMC {dmc_name or dmc_id}"
    return f"{name} [{device_type} {manufacturer}/{model}] hw {hardware} fw {firmware}"


def _products_of(issue_ids: list[int]) -> dict[int, list[tuple[str, str, str]]]:
    """(label, status, first fixed firmware) of each issue's products, in product order."""
    products: dict[int, list[tuple[str, str, str]]] = {pk: [] for pk in issue_ids}
    rows = (
        AffectedProduct.objects.filter(issue_id__in=issue_ids)
        .order_by("issue_id", "id")
        .values_list(*_PRODUCT_FIELDS)
    )
    for issue_id, status, first_fixed, *catalogue in rows:
        products[issue_id].append((_product_label(tuple(catalogue)), status, first_fixed))
    return products


def _issue_values(row: tuple[Any, ...], products: str) -> list[Any]:
    (_, human_id, title, state, root_cause, category, regions, *levels_and_counts) = row
    evidence, impact, alerts, installations, reporter, created, updated, published = (
        levels_and_counts
    )
    disputed = "DISPUTED" if root_cause == RootCauseStatus.DISPUTED else ""
    return [
        human_id,
        title,
        state,
        disputed,
        category,
        " ".join(regions),
        evidence,
        root_cause,
        impact,
        alerts,
        installations,
        products,
        reporter,
        created,
        updated,
        published,
    ]


def _chunks(rows: Iterator[tuple[Any, ...]]) -> Iterator[list[tuple[Any, ...]]]:
    chunk: list[tuple[Any, ...]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == CHUNK_SIZE:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def export_rows(issues: QuerySet[Issue], per_product: bool) -> Iterator[list[Any]]:
    """Plain values per issue (or per issue and product, an issue without products once),
    read CHUNK_SIZE issues at a time."""
    for chunk in _chunks(issues.values_list(*_ISSUE_FIELDS).iterator(chunk_size=CHUNK_SIZE)):
        products = _products_of([row[0] for row in chunk])
        for row in chunk:
            own = products[row[0]]
            if not per_product:
                yield _issue_values(row, "; ".join(label for label, _, _ in own))
                continue
            if not own:
                yield [*_issue_values(row, ""), "", "", ""]
            for label, status, first_fixed in own:
                yield [*_issue_values(row, label), label, status, first_fixed]


def _csv_safe(value: Any) -> str:
    """Spreadsheets run cells starting with = + - @ as formulas; quote them as text."""
    if value is None:
        return ""
    text = value.isoformat() if isinstance(value, datetime) else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_lines(header: list[str], rows: Iterator[list[Any]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield BOM + writer.writerow(header)
    for values in rows:
        yield writer.writerow([_csv_safe(value) for value in values])


class _Export:
    """The request's filters, their queryset, and the columns asked for."""

    def __init__(self, request: HttpRequest) -> None:
        self.form = IssueFilterForm(request.GET or None)
        self.arguments = search_arguments(self.form)
        self.per_product = request.GET.get("rows") == "product"
        issues = issue_search_queryset(user=acting_user(request), **self.arguments)
        self.issues = issues
        self.columns = ISSUE_COLUMNS + (PRODUCT_COLUMNS if self.per_product else ())

    def rows(self) -> Iterator[list[Any]]:
        return export_rows(self.issues, self.per_product)

    def about(self) -> list[tuple[str, str]]:
        filters = {
            name: value for name, value in vars(self.arguments["filters"]).items() if value
        } | {"date_field": self.arguments["filters"].date_field}
        lines = [("Policy version in force", str(policy_in_force().version))]
        lines += [("Search text", self.arguments["query"] or "(none)")]
        lines += [(f"Filter: {name}", str(value)) for name, value in filters.items()]
        lines += [
            ("Sort", self.arguments["sort"]),
            ("Rows", "issue x product" if self.per_product else "issue"),
        ]
        return lines

    def response(
        self, content: Iterator[Any], content_type: str, extension: str
    ) -> StreamingHttpResponse:
        response = StreamingHttpResponse(content, content_type=content_type)
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="kir-issues-{stamp}.{extension}"'
        return response


@login_required
@require_GET
def issue_export_csv(request: HttpRequest) -> StreamingHttpResponse:
    export = _Export(request)
    lines = _csv_lines([column.header for column in export.columns], export.rows())
    return export.response(lines, "text/csv; charset=utf-8", "csv")


@login_required
@require_GET
def issue_export_xlsx(request: HttpRequest) -> StreamingHttpResponse:
    export = _Export(request)
    spec = SheetSpec("Issues", export.columns, export.about())
    return export.response(
        xlsx_chunks(spec, export.rows(), timezone.now()), XLSX_CONTENT_TYPE, "xlsx"
    )
