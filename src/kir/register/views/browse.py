"""Listing and searching the register (its exports: views/export.py)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from kir.register.filter_summary import active_filters, cleared_query, summary
from kir.register.forms import IssueFilterForm
from kir.register.permissions import may_report
from kir.register.selectors import (
    DEFAULT_SORT,
    IssueFilters,
    issue_search,
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
    filters = active_filters(form)
    context = {
        "form": form,
        "filters_count": len(filters),
        "filters_summary": summary(filters) if filters else "",
        "clear_filters_query": cleared_query(request.GET),
        "page": page,
        "prev_page": page.page - 1 if page.has_previous else None,
        "next_page": page.page + 1 if page.has_next else None,
        "can_create": may_report(acting_user(request)),
    }
    return render(request, "register/list.html", context)
