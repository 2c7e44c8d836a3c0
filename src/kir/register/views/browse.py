"""Listing, searching and exporting the register."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from kir.register.forms import IssueFilterForm
from kir.register.models import Issue
from kir.register.permissions import may_report
from kir.register.selectors import (
    DEFAULT_SORT,
    IssueFilters,
    issue_search,
    issue_search_queryset,
)
from kir.register.views.common import PAGE_SIZE, acting_user

_FILTER_FIELDS = (
    "state",
    "category",
    "region",
    "manufacturer",
    "model",
    "firmware",
    "dmc",
    "evidence_level",
    "impact_level",
    "root_cause_status",
    "date_from",
    "date_to",
)


def search_arguments(form: IssueFilterForm) -> dict[str, Any]:
    """Selector arguments from a bound filter form; an invalid field is left out, not guessed."""
    data: dict[str, Any] = {}
    if form.is_bound:
        form.is_valid()
        data = {name: value for name, value in form.cleaned_data.items() if name not in form.errors}
    values: dict[str, Any] = {name: data.get(name) or None for name in _FILTER_FIELDS}
    filters = IssueFilters(**values)
    return {
        "query": data.get("q") or "",
        "filters": filters,
        "sort": data.get("sort") or DEFAULT_SORT,
    }


@login_required
@require_GET
def issue_list(request: HttpRequest) -> HttpResponse:
    form = IssueFilterForm(request.GET or None)
    arguments = search_arguments(form)
    page_number = (form.cleaned_data.get("page") or 1) if form.is_bound else 1
    page = issue_search(
        user=acting_user(request), page=page_number, page_size=PAGE_SIZE, **arguments
    )
    context = {
        "form": form,
        "page": page,
        "prev_page": page.page - 1 if page.has_previous else None,
        "next_page": page.page + 1 if page.has_next else None,
        "can_create": may_report(acting_user(request)),
    }
    return render(request, "register/list.html", context)


CSV_COLUMNS = (
    "human_id",
    "title",
    "state",
    "disputed",
    "category",
    "regions",
    "evidence_level",
    "root_cause_status",
    "impact_level",
    "excess_alerts_per_day",
    "installations_affected",
    "affected_products",
    "reporter",
    "created_at",
    "updated_at",
    "published_at",
)


def _csv_safe(value: Any) -> str:
    """Spreadsheets run cells starting with = + - @ as formulas; quote them as text."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv_row(issue: Issue) -> list[str]:
    products = "; ".join(str(p.device_version or f"DMC {p.dmc}") for p in issue.products.all())
    values = [
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
        issue.created_at.isoformat(),
        issue.updated_at.isoformat(),
        issue.published_at.isoformat() if issue.published_at else "",
    ]
    return [_csv_safe(value) for value in values]


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_lines(issues: Any) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    for issue in issues.iterator(chunk_size=500):
        yield writer.writerow(_csv_row(issue))


@login_required
@require_GET
def issue_export_csv(request: HttpRequest) -> StreamingHttpResponse:
    """The list's results (every page) as CSV: exactly what the selectors let this user see."""
    form = IssueFilterForm(request.GET or None)
    issues = issue_search_queryset(user=acting_user(request), **search_arguments(form))
    issues = issues.prefetch_related(
        "products__device_version__device_model__manufacturer", "products__dmc"
    )
    response = StreamingHttpResponse(_csv_lines(issues), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="kir-issues-{stamp}.csv"'
    return response
