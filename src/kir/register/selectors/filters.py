"""The register list's filters, full-text condition and sort orders, as ORM conditions.

Used by search (selectors/search.py), the CSV export and the API; visibility is applied beside
them by selectors/visibility.py and never here. Why each condition takes the shape it does is
measured in docs/register-performance.md.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from django.db import connection
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from kir.catalogue.models import DMC, DeviceVersion, Manufacturer
from kir.identifiers import IdentifierError, normalise_firmware_version, normalise_hex
from kir.register.models import AffectedProduct, EvidenceLevel, ImpactLevel
from kir.register.sql import issue_names_manufacturer_among
from kir.search.index import search_match

_HUMAN_ID = re.compile(r"^\s*KIR-\d{4}-\d{1,6}\s*$", re.IGNORECASE)


DateField = Literal["updated", "created", "published"]


@dataclass(frozen=True)
class IssueFilters:
    """Filters of the list, search, export and API; empty values do not filter.

    `manufacturer` is a 4-hex GBCS identifier or part of a name, `model` an 8-hex model id or part
    of a name, `firmware` an 8-hex version, `dmc` a DMC identifier (an issue matches a DMC when it
    names the DMC or one of its member device versions). Dates are inclusive days of `date_field`.
    """

    state: str | None = None
    category: str | None = None
    region: str | None = None
    manufacturer: str | None = None
    model: str | None = None
    firmware: str | None = None
    dmc: str | None = None
    evidence_level: str | None = None
    impact_level: str | None = None
    root_cause_status: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    date_field: DateField = "updated"


def _ranked(field: str, values: list[str]) -> Case:
    return Case(
        *(When(**{field: value}, then=Value(rank)) for rank, value in enumerate(values)),
        default=Value(-1),
        output_field=IntegerField(),
    )


SORTS: dict[str, tuple[Any, ...]] = {
    "-updated": ("-updated_at", "-id"),
    "updated": ("updated_at", "id"),
    "-created": ("-created_at", "-id"),
    "created": ("created_at", "id"),
    "-published": ("-published_at", "-id"),
    "human_id": ("human_id",),
    "-impact": (_ranked("impact_level", list(ImpactLevel.values)).desc(), "-updated_at", "-id"),
    "-evidence": (
        _ranked("evidence_level", list(EvidenceLevel.values)).desc(),
        "-updated_at",
        "-id",
    ),
}
SORT_ALIASES = {"newest": "-created", "oldest": "created", "impact": "-impact"}
DEFAULT_SORT = "-updated"
# Best match first; needs search text (kir.search.index.search_rank).
RELEVANCE = "relevance"


def _hex_or_none(value: str, digits: int) -> str | None:
    try:
        return normalise_hex(value, digits=digits)
    except IdentifierError:
        return None


def _manufacturer_q(text: str, via: str = "") -> Q:
    """Manufacturers (or, with `via`, the rows pointing to one) named by the manufacturer
    filter: part of the name, or the 4-hex GBCS identifier."""
    text = text.strip()
    by_name = Q(**{f"{via}name__icontains": text})
    ident = _hex_or_none(text, 4)
    return (by_name | Q(**{f"{via}identifier": ident})) if ident else by_name


def _version_q(filters: IssueFilters) -> Q | None:
    """Conditions on one device version from the manufacturer, model and firmware filters."""
    q = Q()
    if filters.manufacturer:
        q &= _manufacturer_q(filters.manufacturer, via="device_model__manufacturer__")
    if filters.model:
        text = filters.model.strip()
        by_name = Q(device_model__name__icontains=text)
        model_id = _hex_or_none(text, 8)
        q &= (by_name | Q(device_model__model_id=model_id)) if model_id else by_name
    if filters.firmware:
        try:
            q &= Q(firmware_version=normalise_firmware_version(filters.firmware))
        except IdentifierError:
            q &= Q(firmware_version__icontains=filters.firmware.strip())
    return q or None


def _issues_naming(versions: QuerySet[Any], dmcs: QuerySet[Any]) -> Q:
    """Issues with an affected product that is one of `versions` or one of `dmcs` (querysets of
    ids).

    One IN over a UNION ALL of index lookups: the database collects the few issues named and
    then reads them, rather than testing every issue against each lookup.
    """
    products = AffectedProduct.objects.order_by()
    by_version = products.filter(device_version_id__in=versions).values("issue_id")
    by_dmc = products.filter(dmc_id__in=dmcs).values("issue_id")
    return Q(pk__in=by_version.union(by_dmc, all=True))


def _issues_with_products(versions: QuerySet[Any]) -> Q:
    """Issues naming one of `versions` directly or through a DMC containing it."""
    dmcs = DMC.members.through.objects.filter(deviceversion_id__in=versions).values("dmc_id")
    return _issues_naming(versions, dmcs)


def _issues_with_products_each(versions: QuerySet[Any]) -> Q:
    """The issues of `_issues_with_products(versions)`, tested issue by issue: two IN subqueries
    joined by OR stay two hashed sets that each issue is looked up in, as the list is walked in
    its order, so a broad filter stops once it has found enough (see `_product_filter_q`)."""
    products = AffectedProduct.objects.order_by()
    dmcs = DMC.members.through.objects.filter(deviceversion_id__in=versions).values("dmc_id")
    return Q(pk__in=products.filter(device_version_id__in=versions).values("issue_id")) | Q(
        pk__in=products.filter(dmc_id__in=dmcs).values("issue_id")
    )


# A manufacturer, model or firmware filter naming at most this many device versions collects
# the issues they name first (a few hundred at most); a broader one tests each issue against
# hashed sets while walking the list order, and stops at the page and the count cap. Either way
# the same issues match. (A manufacturer alone, on PostgreSQL, tests the issue's array of named
# manufacturers instead: see `_product_filter_q`.)
FEW_VERSIONS = 50


def _product_filter_q(filters: IssueFilters) -> Q:
    q = Q()
    only_manufacturer = not (filters.model or filters.firmware)
    if filters.manufacturer and only_manufacturer and connection.vendor == "postgresql":
        # A whole manufacturer is named by a large share of the register: one array test per
        # issue, as the list is walked in its order, instead of hashing every product naming it.
        matching = Manufacturer.objects.filter(_manufacturer_q(filters.manufacturer))
        ids = list(matching.values_list("pk", flat=True))
        if not ids:
            return Q(pk__in=[])
        q &= issue_names_manufacturer_among(ids)
        filters = dataclasses.replace(filters, manufacturer=None)
    version_q = _version_q(filters)
    if version_q is not None:
        versions = DeviceVersion.objects.filter(version_q).values("pk")
        few = list(versions.values_list("pk", flat=True)[: FEW_VERSIONS + 1])
        if len(few) <= FEW_VERSIONS:
            q &= _issues_with_products(DeviceVersion.objects.filter(pk__in=few).values("pk"))
        else:
            q &= _issues_with_products_each(versions)
    if filters.dmc:
        dmc = DMC.objects.filter(identifier=filters.dmc.strip().upper()).values("pk")
        members = DMC.members.through.objects.filter(dmc_id__in=dmc).values("deviceversion_id")
        q &= _issues_naming(members, dmc)
    return q


def _region_q(region: str) -> Q:
    """Issues seen in `region` (regions is a JSON list of fixed slugs).

    PostgreSQL tests the array element with jsonb `?`, which its planner estimates from the
    column's statistics. SQLite has no such operator: the quoted slug in the JSON text matches
    one element exactly.
    """
    if connection.vendor == "postgresql":
        return Q(regions__has_key=region)
    return Q(regions__icontains=f'"{region}"')


def _start_of_day(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def filters_q(filters: IssueFilters) -> Q:
    q = Q()
    for name in ("state", "category", "evidence_level", "impact_level", "root_cause_status"):
        value = getattr(filters, name)
        if value:
            q &= Q(**{name: value})
    if filters.region:
        q &= _region_q(filters.region)
    # Inclusive local days as a half-open range of instants: the column is compared as stored,
    # so its index serves, instead of converting every row to a local date first.
    if filters.date_from:
        q &= Q(**{f"{filters.date_field}_at__gte": _start_of_day(filters.date_from)})
    # The last day the calendar has bounds nothing (and has no next day to stop before).
    if filters.date_to and filters.date_to < date.max:
        next_day = filters.date_to + timedelta(days=1)
        q &= Q(**{f"{filters.date_field}_at__lt": _start_of_day(next_day)})
    return q & _product_filter_q(filters)


def text_search_q(query: str) -> Q:
    """Full text over the search documents; a typed human id also matches that issue exactly,
    and a GBCS id written another way (`0x1A2B`, `00AB-CDEF`) also searches its written form."""
    q = search_match(query)
    if _HUMAN_ID.match(query):
        q |= Q(human_id=query.strip().upper())
    canonical = _canonical_gbcs_id(query)
    if canonical is not None:
        q |= search_match(canonical)
    return q


def _canonical_gbcs_id(query: str) -> str | None:
    """The manufacturer (4 hex digits) or model id (8) the query spells differently from the
    register, if it is one; the index holds ids as the catalogue writes them."""
    for digits in (4, 8):
        try:
            canonical = normalise_hex(query, digits=digits)
        except IdentifierError:
            continue
        return canonical if canonical.casefold() != query.strip().casefold() else None
    return None
