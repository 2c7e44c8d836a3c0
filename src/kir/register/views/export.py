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
from kir.register.models import AffectedProduct, Issue
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


def product_label(product: AffectedProduct) -> str:
    return str(product.device_version or f"DMC {product.dmc}")


def _issue_values(issue: Issue, products: str) -> list[Any]:
    return [
        issue.human_id,
        issue.title,
        issue.state,
        "DISPUTED" if issue.is_disputed else "",
        issue.category,
        " ".join(issue.regions),
        issue.evidence_level,
        issue.root_cause_status,
        issue.impact_level,
        issue.excess_alerts_per_day,
        issue.installations_affected,
        products,
        issue.reporter_organisation.name,
        issue.created_at,
        issue.updated_at,
        issue.published_at,
    ]


def export_rows(issues: QuerySet[Issue], per_product: bool) -> Iterator[list[Any]]:
    """Plain values per issue (or per issue and product, an issue without products once)."""
    for issue in issues.iterator(chunk_size=CHUNK_SIZE):
        products = list(issue.products.all())
        if not per_product:
            yield _issue_values(issue, "; ".join(map(product_label, products)))
            continue
        if not products:
            yield [*_issue_values(issue, ""), "", "", ""]
        for product in products:
            label = product_label(product)
            yield [
                *_issue_values(issue, label),
                label,
                product.status,
                product.first_fixed_firmware,
            ]


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
        self.issues = issues.select_related("reporter_organisation").prefetch_related(
            "products__device_version__device_model__manufacturer", "products__dmc"
        )
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
