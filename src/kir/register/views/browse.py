"""Listing, searching and exporting the register, and the procurement check."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from kir.register.forms import IssueFilterForm, ProcurementCheckForm
from kir.register.models import Issue
from kir.register.permissions import may_report
from kir.register.selectors import (
    DEFAULT_SORT,
    MAX_PROCUREMENT_PAGE_SIZE,
    PROCUREMENT_PAGE_SIZE,
    IssueFilters,
    ProcurementItem,
    issue_search,
    issue_search_queryset,
    parse_procurement_text,
    procurement_check,
    procurement_item,
    procurement_item_for_version,
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


def procurement_items(form: ProcurementCheckForm) -> tuple[list[ProcurementItem], list[str]]:
    """Items from the pasted lines and the pickers; each bad line comes back as a message."""
    items, errors = parse_procurement_text(form.cleaned_data.get("pasted", ""))
    items += [procurement_item_for_version(v) for v in form.cleaned_data["device_versions"]]
    items += [procurement_item(dmc=d.identifier) for d in form.cleaned_data["dmcs"]]
    return list(dict.fromkeys(items)), [str(error) for error in errors]


@login_required
@require_http_methods(["GET", "POST"])
def procurement_check_page(request: HttpRequest) -> HttpResponse:
    form = ProcurementCheckForm(request.POST or None)
    context: dict[str, Any] = {"form": form, "results": None, "unrecognised": []}
    if request.method == "POST" and form.is_valid():
        items, errors = procurement_items(form)
        # Each item shows its newest matches; "show all" checks that one item again, at length.
        context["showing_all"] = bool(request.POST.get("all"))
        limit = MAX_PROCUREMENT_PAGE_SIZE if context["showing_all"] else PROCUREMENT_PAGE_SIZE
        context["results"] = procurement_check(user=acting_user(request), items=items, limit=limit)
        context["unrecognised"] = errors
    return render(request, "register/procurement_check.html", context)
