"""The catalogue for a Party's systems: manufacturers, device models, device versions and DMCs,
each with the published issues naming it that the caller may see, in stable cursor pages.

The issues come from the procurement check's pipeline (one statement through the visibility
module for the whole page): an entry is named by an issue when one of its affected products is
the entry's device version, one of its versions, or a DMC holding one of them. Withdrawn issues
are left out."""

# No `from __future__ import annotations`: ninja reads the views' parameter types through the
# refusals_as_responses wrapper, in whose module PageIn is not defined.
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Status
from pydantic import BaseModel

from kir.accounts.models import User
from kir.api.auth import api_auth
from kir.api.cursor import MAX_LIMIT, cursor_page
from kir.catalogue.models import DMC, DeviceModel, DeviceVersion, Manufacturer
from kir.register.api import refusals_as_responses
from kir.register.api_input import StrictInput, Text
from kir.register.api_schemas import ErrorOut
from kir.register.models import IssueState
from kir.register.procurement_input import ProcurementItem
from kir.register.selectors.procurement_touching import procurement_touching

router = Router(auth=api_auth, tags=["catalogue"])


class PageIn(StrictInput):
    cursor: Text | None = Field(
        default=None, max_length=200, description="next_cursor of the page before"
    )
    limit: int = Field(default=100, ge=1, le=MAX_LIMIT)


class EntryOut(BaseModel):
    id: int
    label: str = Field(description="MANUFACTURER, MANUFACTURER/MODEL, .../FIRMWARE, or a DMC id")
    name: str
    issues: list[str] = Field(description="Human ids of the published issues naming the entry")


class CataloguePageOut(BaseModel):
    items: list[EntryOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end"
    )


def _issues_by_item(user: User, items: dict[int, list[ProcurementItem]]) -> dict[int, list[str]]:
    """Per entry id, the human ids of the visible, not withdrawn, issues touching its items."""
    every = list({item for group in items.values() for item in group})
    found = procurement_touching(user=user, items=every)
    named: dict[int, list[str]] = {}
    for entry, group in items.items():
        issue_ids: set[int] = set()
        for item in group:
            target = found.targets[item]
            for pk in target.versions:
                issue_ids.update(issue for _, issue in found.by_version.get(pk, ()))
            for pk in target.dmcs:
                issue_ids.update(issue for _, issue in found.by_dmc.get(pk, ()))
        values = [found.issues[pk] for pk in sorted(issue_ids, key=found.rank.__getitem__)]
        named[entry] = [v.human_id for v in values if v.state != IssueState.WITHDRAWN]
    return named


def _page(request: HttpRequest, queryset: Any, key: str, params: PageIn, describe: Any) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)
    page = cursor_page(queryset, key=key, cursor=params.cursor, limit=params.limit)
    described = {row.pk: describe(row) for row in page.items}
    issues = _issues_by_item(user, {pk: items for pk, (_, _, items) in described.items()})
    entries = [
        EntryOut(id=pk, label=label, name=name, issues=issues[pk])
        for pk, (label, name, _) in described.items()
    ]
    return Status(200, CataloguePageOut(items=entries, next_cursor=page.next_cursor))


def _model_item(model: DeviceModel) -> ProcurementItem:
    return ProcurementItem(
        kind="model", manufacturer=model.manufacturer.identifier, model=model.model_id
    )


PAGE_RESPONSES: dict[int, Any] = {200: CataloguePageOut, 422: ErrorOut}


@router.get("/catalogue/manufacturers", response=PAGE_RESPONSES, summary="Manufacturers")
@refusals_as_responses
def manufacturers(request: HttpRequest, params: Query[PageIn]) -> Any:
    queryset = Manufacturer.objects.prefetch_related("models__manufacturer")
    return _page(
        request,
        queryset,
        "identifier",
        params,
        lambda m: (m.identifier, m.name, [_model_item(model) for model in m.models.all()]),
    )


@router.get("/catalogue/models", response=PAGE_RESPONSES, summary="Device models")
@refusals_as_responses
def models(request: HttpRequest, params: Query[PageIn]) -> Any:
    return _page(
        request,
        DeviceModel.objects.select_related("manufacturer"),
        "model_id",
        params,
        lambda m: (f"{m.manufacturer.identifier}/{m.model_id}", m.name, [_model_item(m)]),
    )


@router.get("/catalogue/versions", response=PAGE_RESPONSES, summary="Device versions")
@refusals_as_responses
def versions(request: HttpRequest, params: Query[PageIn]) -> Any:
    def describe(v: DeviceVersion) -> tuple[str, str, list[ProcurementItem]]:
        model = v.device_model
        item = ProcurementItem(
            kind="firmware",
            manufacturer=model.manufacturer.identifier,
            model=model.model_id,
            firmware=v.firmware_version,
        )
        return item.label, str(v), [item]

    queryset = DeviceVersion.objects.select_related("device_model__manufacturer")
    return _page(request, queryset, "firmware_version", params, describe)


@router.get("/catalogue/dmcs", response=PAGE_RESPONSES, summary="Device model combinations")
@refusals_as_responses
def dmcs(request: HttpRequest, params: Query[PageIn]) -> Any:
    return _page(
        request,
        DMC.objects.all(),
        "identifier",
        params,
        lambda d: (d.identifier, d.name, [ProcurementItem(kind="dmc", dmc=d.identifier)]),
    )
