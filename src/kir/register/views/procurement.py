"""The procurement check page (seed option 3(a)): paste what you are about to buy, or find it in
the catalogue, and see every issue on the register that touches it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from kir.catalogue.selectors import CatalogueFilters, device_versions_search, dmcs_search
from kir.exports.xlsx import XLSX_CONTENT_TYPE, xlsx_chunks
from kir.exports.xlsx_procurement import procurement_rows, procurement_sheet
from kir.register.forms import ProcurementCheckForm
from kir.register.procurement_input import ProcurementItem, ProcurementLineError
from kir.register.selectors import (
    MAX_PROCUREMENT_PAGE_SIZE,
    PROCUREMENT_PAGE_SIZE,
    parse_procurement_text,
    procurement_check,
    procurement_check_rows,
    procurement_item_for_version,
)
from kir.register.services.policy import policy_in_force
from kir.register.views.common import acting_user

# Catalogue entries offered per search: enough to pick from, never the whole CPL on one page.
PICK_LIMIT = 20
FIND_MAX_LENGTH = 100


@dataclass(frozen=True)
class CataloguePick:
    """A catalogue entry offered to add: its procurement line, what it is, the versions a DMC
    contains, and `key`, naming it for the issue form's product picker ("version:12", "dmc:3")."""

    line: str
    label: str
    members: tuple[str, ...] = ()
    key: str = ""


def catalogue_picks(query: str) -> list[CataloguePick]:
    """Device versions and DMCs matching `query`, each as the line that would check it; the
    procurement page and the issue form's product picker both search with this."""
    if not query.strip():
        return []
    versions = device_versions_search(filters=CatalogueFilters(q=query))[:PICK_LIMIT]
    dmcs = dmcs_search(q=query).prefetch_related("members__device_model__manufacturer")
    picks = [
        CataloguePick(procurement_item_for_version(v).label, str(v), key=f"version:{v.pk}")
        for v in versions
    ]
    picks += [
        CataloguePick(
            d.identifier,
            f"{d.identifier} {d.name}",
            tuple(map(str, d.members.all())),
            key=f"dmc:{d.pk}",
        )
        for d in dmcs[:PICK_LIMIT]
    ]
    return picks


def _with_line_added(data: QueryDict, line: str) -> QueryDict:
    """The form's data with `line` appended to the pasted list, unless it is there already."""
    data = data.copy()
    lines = [text for text in data.get("pasted", "").splitlines() if text.strip()]
    if line.strip() and line.strip() not in (text.strip() for text in lines):
        lines.append(line.strip())
    data["pasted"] = "\n".join(lines)
    return data


def _procurement_xlsx(
    request: HttpRequest, items: list[ProcurementItem], errors: list[ProcurementLineError]
) -> StreamingHttpResponse:
    """The check as a workbook: every item with up to MAX_PROCUREMENT_PAGE_SIZE issues each."""
    results = procurement_check_rows(
        user=acting_user(request), items=items, limit=MAX_PROCUREMENT_PAGE_SIZE
    )
    unrecognised = [str(error) for error in errors]
    spec = procurement_sheet(results, policy_in_force().version, unrecognised)
    response = StreamingHttpResponse(
        xlsx_chunks(spec, procurement_rows(results), timezone.now()),
        content_type=XLSX_CONTENT_TYPE,
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="kir-procurement-{stamp}.xlsx"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def procurement_check_page(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """Paste lines and check them; or search the catalogue and add what it finds, one button per
    entry, without JavaScript: each search or addition comes back as the same form, filled in."""
    data: QueryDict = request.POST
    if "add" in data:
        data = _with_line_added(data, data.get("add", ""))
    form = ProcurementCheckForm(data or None)
    context: dict[str, Any] = {"form": form, "results": None, "unrecognised": []}
    if "add" in data or data.get("action") == "find":
        # No check was asked for: the form comes back filled in, unjudged, with the matches.
        searched = data.get("find", "").strip()[:FIND_MAX_LENGTH]
        context.update(
            form=ProcurementCheckForm(initial=data.dict()),
            picks=catalogue_picks(searched),
            searched=searched,
        )
    elif request.method == "POST" and form.is_valid():
        items, errors = parse_procurement_text(form.cleaned_data["pasted"])
        if data.get("action") == "xlsx":
            return _procurement_xlsx(request, list(dict.fromkeys(items)), errors)
        # Each item shows its newest matches; "show all" checks that one item again, at length.
        context["showing_all"] = bool(request.POST.get("all"))
        limit = MAX_PROCUREMENT_PAGE_SIZE if context["showing_all"] else PROCUREMENT_PAGE_SIZE
        context["results"] = procurement_check(
            user=acting_user(request), items=list(dict.fromkeys(items)), limit=limit
        )
        context["unrecognised"] = [str(error) for error in errors]
    return render(request, "register/procurement_check.html", context)
