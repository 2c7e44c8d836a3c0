"""Pages to browse and search the device catalogue (CPL) and the DMCs built from it."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from kir.catalogue.mentions import mentions_of_dmc, mentions_of_model
from kir.catalogue.models import CplStatus, DeviceType, Region
from kir.catalogue.selectors import (
    CatalogueFilters,
    device_model_get,
    device_versions_search,
    dmc_get,
    dmcs_for_model,
    dmcs_search,
    manufacturers_list,
)

PAGE_SIZE = 50


def _choice(request: HttpRequest, name: str, allowed: list[str]) -> str:
    """A filter value from the query string; anything unknown means no filter, not an error."""
    value = request.GET.get(name, "").strip()
    return value if value in allowed else ""


@login_required
def index(request: HttpRequest) -> HttpResponse:
    manufacturers = list(manufacturers_list())
    filters = CatalogueFilters(
        q=request.GET.get("q", "")[:200],
        manufacturer=_choice(request, "manufacturer", [m.identifier for m in manufacturers]),
        device_type=_choice(request, "device_type", DeviceType.values),
        firmware=request.GET.get("firmware", "")[:40],
        cpl_status=_choice(request, "cpl_status", CplStatus.values),
    )
    page = Paginator(device_versions_search(filters=filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "catalogue/index.html",
        {
            "filters": filters,
            "page": page,
            "manufacturers": manufacturers,
            "device_types": DeviceType.choices,
            "cpl_statuses": CplStatus.choices,
            "query_string": _without_page(request),
        },
    )


def _without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


@login_required
def model_detail(request: HttpRequest, manufacturer: str, model_id: str) -> HttpResponse:
    device_model = device_model_get(manufacturer_identifier=manufacturer, model_id=model_id)
    return render(
        request,
        "catalogue/model_detail.html",
        {
            "device_model": device_model,
            "dmcs": dmcs_for_model(device_model=device_model),
            "mentions": mentions_of_model(request.user, device_model),
        },
    )


@login_required
def dmc_list(request: HttpRequest) -> HttpResponse:
    region = _choice(request, "region", Region.values)
    device_type = _choice(request, "device_type", DeviceType.values)
    q = request.GET.get("q", "")[:200]
    dmcs = dmcs_search(q=q, region=region, device_type=device_type)
    page = Paginator(dmcs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "catalogue/dmc_list.html",
        {
            "q": q,
            "region": region,
            "device_type": device_type,
            "regions": Region.choices,
            "device_types": DeviceType.choices,
            "page": page,
            "query_string": _without_page(request),
        },
    )


@login_required
def dmc_detail(request: HttpRequest, identifier: str) -> HttpResponse:
    dmc = dmc_get(identifier=identifier)
    labels = dict(Region.choices)
    return render(
        request,
        "catalogue/dmc_detail.html",
        {
            "dmc": dmc,
            "region_names": [labels.get(r, r) for r in dmc.regions],
            "mentions": mentions_of_dmc(request.user, dmc),
        },
    )
