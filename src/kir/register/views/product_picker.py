"""The issue form's product picker: find a device version or a DMC in the catalogue and add it
as a row, any number of rows, with or without JavaScript.

Without JavaScript it is the procurement page's search-and-add (the same `catalogue_picks`): the
"Find" button and each "Add" button submit the whole form, which comes back filled in, unjudged,
with the matches or the new row. With htmx (vendored, static) the search box asks for the
matches as the user types and an "Add" button asks for the new row alone; the requests are the
same, only the answer is a fragment. Rows carry ids, never a select of the whole catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render

from kir.catalogue.models import DMC, DeviceVersion
from kir.register.forms import AffectedProductForm, AffectedProductFormSet, ProductFindForm
from kir.register.models import ProductStatus
from kir.register.views.procurement import FIND_MAX_LENGTH, catalogue_picks

PREFIX = "products"
FIND = "find_product"
ADD = "add_product"
ROW_FIELDS = (*AffectedProductForm.base_fields, "DELETE")
# A DMC's members shown under it; the rest are counted.
MEMBERS_SHOWN = 12


@dataclass(frozen=True)
class ChosenProduct:
    """What a row names, as the form shows it: a label and, for a DMC, its versions."""

    label: str
    members: tuple[str, ...] = ()
    more_members: int = 0


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _dmc_choice(dmc: DMC) -> ChosenProduct:
    members = [str(v) for v in dmc.members.all()]
    label = f"DMC {dmc.identifier}" + (f" ({dmc.name})" if dmc.name else "")
    shown = tuple(members[:MEMBERS_SHOWN])
    return ChosenProduct(label, shown, len(members) - len(shown))


def _ids(values: list[Any]) -> set[int]:
    return {int(v) for v in values if str(v).isdigit()}


def product_rows(formset: Any) -> list[tuple[Any, ChosenProduct]]:
    """Each row's form with what it names, read in one query per kind."""
    rows = list(formset.forms)
    versions = DeviceVersion.objects.select_related("device_model__manufacturer").in_bulk(
        _ids([f["device_version"].value() for f in rows])
    )
    dmcs = DMC.objects.prefetch_related("members__device_model__manufacturer").in_bulk(
        _ids([f["dmc"].value() for f in rows])
    )
    described = []
    for form in rows:
        version_id, dmc_id = form["device_version"].value(), form["dmc"].value()
        if str(version_id).isdigit() and int(version_id) in versions:
            version = versions[int(version_id)]
            chosen = ChosenProduct(f"{version.device_model.manufacturer.name}: {version}")
        elif str(dmc_id).isdigit() and int(dmc_id) in dmcs:
            chosen = _dmc_choice(dmcs[int(dmc_id)])
        else:
            chosen = ChosenProduct("No product chosen")
        described.append((form, chosen))
    return described


def form_context(request: HttpRequest, form: Any, formset: Any, **extra: Any) -> dict[str, Any]:
    """What _issue_fields.html needs: the form, its product rows, and the picker."""
    find = ProductFindForm(initial={"product_find": extra.pop("searched", "")})
    find.fields["product_find"].widget.attrs.update(
        {
            "hx-get": request.path,
            "hx-trigger": "input changed delay:300ms, search",
            "hx-target": "#product-picks",
            "hx-sync": "this:replace",
            "autocomplete": "off",
        }
    )
    return {
        "form": form,
        "formset": formset,
        "product_rows": product_rows(formset),
        "find_form": find,
        "picker_url": request.path,
        **extra,
    }


def _rows_in(data: QueryDict) -> list[dict[str, Any]]:
    try:
        total = int(data.get(f"{PREFIX}-TOTAL_FORMS", "0"))
    except ValueError:
        total = 0
    rows = []
    for number in range(max(0, min(total, AffectedProductFormSet.max_num))):
        rows.append({name: data.get(f"{PREFIX}-{number}-{name}", "") for name in ROW_FIELDS})
    return rows


def _row_for(key: str) -> dict[str, Any] | None:
    """The new row a picker key names ("version:12", "dmc:3"), if that entry exists."""
    kind, _, pk = key.partition(":")
    if not pk.isdigit():
        return None
    if kind == "version" and DeviceVersion.objects.filter(pk=int(pk)).exists():
        return {"device_version": pk, "status": ProductStatus.UNDER_INVESTIGATION}
    if kind == "dmc" and DMC.objects.filter(pk=int(pk)).exists():
        return {"dmc": pk, "status": ProductStatus.UNDER_INVESTIGATION}
    return None


def _already_there(rows: list[dict[str, Any]], row: dict[str, Any]) -> bool:
    return any(
        str(r.get(name) or "") == str(row.get(name) or "")
        for r in rows
        for name in ("device_version", "dmc")
        if row.get(name)
    )


def _unjudged(form_class: type[forms.Form], data: QueryDict, **kwargs: Any) -> forms.Form:
    """The form holding what was submitted, but not judged: a search is not a save, so it shows
    no "this field is required"."""
    initial = {
        name: data.getlist(name) if isinstance(field, forms.MultipleChoiceField) else data[name]
        for name, field in form_class.base_fields.items()
        if name in data
    }
    return form_class(initial=initial, **kwargs)


def picks_fragment(request: HttpRequest) -> HttpResponse:
    """The matches for the search box, for htmx to put under it."""
    searched = request.GET.get("product_find", "").strip()[:FIND_MAX_LENGTH]
    context = {"picks": catalogue_picks(searched), "searched": searched, "picker_url": request.path}
    return render(request, "register/_product_picks.html", context)


def _row_fragment(request: HttpRequest, rows: list[dict[str, Any]]) -> HttpResponse:
    formset = AffectedProductFormSet(prefix=PREFIX, initial=rows)
    form, chosen = product_rows(formset)[-1]
    context = {"product_form": form, "chosen": chosen, "number": len(rows), "total": len(rows)}
    return render(request, "register/_product_row_added.html", context)


def picker_step(
    request: HttpRequest, form_class: type[forms.Form], **form_kwargs: Any
) -> HttpResponse | dict[str, Any] | None:
    """When the POST is a picker step (find, add) rather than a save: for htmx the fragment to
    answer with; otherwise the context of the form page shown again. None for a save."""
    data = request.POST
    if data.get("picker") != FIND and ADD not in data:
        return None
    rows = _rows_in(data)
    searched = data.get("product_find", "").strip()[:FIND_MAX_LENGTH]
    if ADD in data:
        row = _row_for(data[ADD])
        if row is not None and not _already_there(rows, row):
            rows.append(row)
            if is_htmx(request):
                return _row_fragment(request, rows)
        elif is_htmx(request):
            return HttpResponse(status=204)
    form = _unjudged(form_class, data, **form_kwargs)
    formset = AffectedProductFormSet(prefix=PREFIX, initial=rows)
    picks = catalogue_picks(searched) if searched or data.get("picker") == FIND else None
    return form_context(request, form, formset, picks=picks, searched=searched)
