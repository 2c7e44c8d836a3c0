"""Reads of the catalogue. Every signed-in member sees the whole catalogue: it is the CPL, public
within the SEC, so these selectors filter by what is asked, not by who asks."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404

from kir.catalogue.models import DMC, DeviceModel, DeviceVersion, Manufacturer, Region
from kir.identifiers import IdentifierError, normalise_manufacturer_id, normalise_model_id

_SEPARATORS = re.compile(r"[\s\-:._]")


def _hex_fragment(text: str) -> str:
    """What a typed (partial) hex id looks like once written the canonical way."""
    return _SEPARATORS.sub("", text).upper().removeprefix("0X")


@dataclass(frozen=True)
class CatalogueFilters:
    q: str = ""
    manufacturer: str = ""
    device_type: str = ""
    firmware: str = ""
    cpl_status: str = ""


def manufacturers_list() -> QuerySet[Manufacturer]:
    return Manufacturer.objects.select_related("organisation").order_by("name")


def device_versions_search(*, filters: CatalogueFilters) -> QuerySet[DeviceVersion]:
    """Device versions matching free text (names, ids, firmware, CPL entry) and filters."""
    versions = DeviceVersion.objects.select_related("device_model__manufacturer")
    query = filters.q.strip()
    if query:
        fragment = _hex_fragment(query)
        text = (
            Q(device_model__name__icontains=query)
            | Q(device_model__manufacturer__name__icontains=query)
            | Q(cpl_entry_id__icontains=query)
        )
        if fragment:
            text |= (
                Q(device_model__model_id__contains=fragment)
                | Q(device_model__manufacturer__identifier=fragment)
                | Q(firmware_version__contains=fragment)
            )
        versions = versions.filter(text)
    if filters.manufacturer:
        versions = versions.filter(
            device_model__manufacturer__identifier=filters.manufacturer.upper()
        )
    if filters.device_type:
        versions = versions.filter(device_model__device_type=filters.device_type.upper())
    if filters.firmware.strip():
        versions = versions.filter(firmware_version__contains=_hex_fragment(filters.firmware))
    if filters.cpl_status:
        versions = versions.filter(cpl_status=filters.cpl_status)
    return versions.order_by(
        "device_model__manufacturer__name", "device_model__name", "firmware_version", "pk"
    )


def device_model_get(*, manufacturer_identifier: str, model_id: str) -> DeviceModel:
    try:
        manufacturer = normalise_manufacturer_id(manufacturer_identifier)
        model = normalise_model_id(model_id)
    except IdentifierError:
        raise Http404("No such device model") from None
    found = (
        DeviceModel.objects.select_related("manufacturer__organisation")
        .prefetch_related(
            Prefetch("versions", queryset=DeviceVersion.objects.order_by("firmware_version"))
        )
        .filter(manufacturer__identifier=manufacturer, model_id=model)
        .first()
    )
    if found is None:
        raise Http404("No such device model")
    return found


def dmcs_for_model(*, device_model: DeviceModel) -> QuerySet[DMC]:
    return DMC.objects.filter(members__device_model=device_model).distinct().order_by("identifier")


def dmcs_search(*, q: str = "", region: str = "", device_type: str = "") -> QuerySet[DMC]:
    """DMCs by identifier, name or a member's model, firmware or manufacturer; by region."""
    dmcs = DMC.objects.annotate(member_count=Count("members", distinct=True))
    query = q.strip()
    if query:
        fragment = _hex_fragment(query)
        matching_members = DeviceVersion.objects.filter(
            Q(device_model__name__icontains=query)
            | Q(device_model__manufacturer__name__icontains=query)
            | (Q(firmware_version__contains=fragment) if fragment else Q(pk__in=[]))
            | (Q(device_model__model_id__contains=fragment) if fragment else Q(pk__in=[]))
        )
        dmcs = dmcs.filter(
            Q(identifier__icontains=query)
            | Q(name__icontains=query)
            | Q(members__in=matching_members)
        )
    if region in Region.values:
        # JSON containment is not on SQLite; regions is a short list of fixed words, so a quoted
        # substring match on its JSON text is exact and works on both databases.
        dmcs = dmcs.filter(regions__icontains=f'"{region}"')
    if device_type:
        dmcs = dmcs.filter(members__device_model__device_type=device_type.upper())
    return dmcs.distinct().order_by("identifier")


def dmc_get(*, identifier: str) -> DMC:
    found = (
        DMC.objects.prefetch_related(
            Prefetch(
                "members",
                queryset=DeviceVersion.objects.select_related(
                    "device_model__manufacturer"
                ).order_by("device_model__device_type", "device_model__name"),
            )
        )
        .filter(identifier=identifier.strip().upper())
        .first()
    )
    if found is None:
        raise Http404("No such DMC")
    return found
