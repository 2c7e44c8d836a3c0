"""The register's JSON API: the same selectors and services as the pages, as typed endpoints.

Answers: 404 for an issue the caller may not see (as if absent); 403 when the caller sees the
issue but its role or organisation may not act; 409 on a version conflict (with the version now
saved); 422 for invalid input and for refused workflow steps (with every unmet condition).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from kir.accounts.models import User
from kir.api.auth import api_auth
from kir.catalogue.models import DMC
from kir.identifiers import IdentifierError
from kir.register.api_schemas import (
    SUMMARY_COLUMNS,
    ErrorOut,
    InvolvementOut,
    IssueCreateIn,
    IssueDetailOut,
    IssuePageOut,
    IssueQueryIn,
    IssueSummaryOut,
    IssueUpdateIn,
    ManufacturerResponseIn,
    NoticeOut,
    ProcurementCheckIn,
    ProcurementCheckOut,
    ProductIn,
    ProductOut,
    StateChangeOut,
    StatementIn,
    StatementOut,
    TransitionIn,
    summary_fields,
)
from kir.register.errors import (
    Conflict,
    PermissionRefused,
    TransitionRefused,
    ValidationFailed,
    VersionConflict,
)
from kir.register.presenters import IssueDetail, available_transitions, issue_detail_for
from kir.register.procurement_input import parse_procurement_line
from kir.register.selectors import (
    IssueFilters,
    ProcurementRow,
    issue_get_visible,
    issue_search_values,
    procurement_check_rows,
    statements_visible_to,
)
from kir.register.services import (
    issue_create_draft,
    issue_transition,
    issue_update,
    manufacturer_acknowledge,
    manufacturer_dispute,
    statement_add,
)

router = Router(auth=api_auth, tags=["register"])

# The list counts at most this many matches (or up to the requested page, if further): counting
# every visible issue of a broad list cost more than reading its page.
API_COUNT_CAP = 1000

REFUSALS: dict[int, type[Any]] = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def _user(request: HttpRequest) -> User:
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)
    return user


def refusals_as_responses(view: Callable[..., Any]) -> Callable[..., Any]:
    """A service's refusal becomes its HTTP answer, with every reason it gave."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        try:
            return view(request, *args, **kwargs)
        except VersionConflict as conflict:
            body = ErrorOut(detail=str(conflict), current_version=conflict.current.version)
            return Status(409, body)
        except TransitionRefused as refusal:
            return Status(422, ErrorOut(detail="The step was refused.", reasons=refusal.reasons))
        except ValidationFailed as failure:
            return Status(422, ErrorOut(detail=str(failure), errors=failure.errors))
        except PermissionRefused as refusal:
            return Status(403, ErrorOut(detail=str(refusal)))
        except Conflict as conflict:
            return Status(409, ErrorOut(detail=str(conflict)))

    return wrapper


def detail_out(detail: IssueDetail, user: User) -> IssueDetailOut:
    issue = detail.issue
    later = {"superseded_by": detail.superseded_by, "challenged_by": detail.challenged_by}
    return IssueDetailOut(
        **summary_fields(issue),
        summary=issue.summary,
        description=issue.description,
        excess_alerts_per_day=issue.excess_alerts_per_day,
        installations_affected=issue.installations_affected,
        impact_rationale=issue.impact_rationale,
        reporter_organisation=issue.reporter_organisation.name,
        coordinator_organisation=(
            issue.coordinator_organisation.name if issue.coordinator_organisation else None
        ),
        products=[ProductOut.from_product(p) for p in detail.products],
        statements=[StatementOut.from_statement(s, later) for s in detail.statements],
        involvements=[
            InvolvementOut(organisation=i.organisation.name, role=i.role, status=i.status)
            for i in detail.involvements
        ],
        timeline=[
            StateChangeOut(
                transition=c.transition,
                from_state=c.from_state,
                to_state=c.to_state,
                actor=detail.timeline_actors[c.pk],
                reason=c.reason,
                created_at=c.created_at,
            )
            for c in detail.timeline
        ],
        notices=[
            NoticeOut(
                organisation=n.organisation.name,
                sent_at=n.sent_at,
                respond_by=n.respond_by,
                acknowledged_at=n.acknowledged_at,
                responded_at=n.responded_at,
            )
            for n in detail.notices
        ],
        transitions=[t.name for t in available_transitions(user=user, issue=issue)],
    )


def _detail(user: User, human_id: str) -> IssueDetailOut:
    return detail_out(issue_detail_for(user=user, human_id=human_id), user)


@router.get("/issues", response=IssuePageOut, summary="List and search visible issues")
def issues_list(request: HttpRequest, params: Query[IssueQueryIn]) -> IssuePageOut:
    data = params.dict()
    filter_names = set(IssueFilters.__dataclass_fields__) - {"date_field"}
    filters = IssueFilters(**{name: data[name] for name in filter_names})
    page = issue_search_values(
        user=_user(request),
        fields=SUMMARY_COLUMNS,
        query=params.q,
        filters=filters,
        sort=params.sort,
        page=params.page,
        page_size=params.page_size,
        count_cap=API_COUNT_CAP,
    )
    return IssuePageOut(
        items=[IssueSummaryOut.from_values(row) for row in page.items],
        total=page.total,
        total_is_estimate=page.total_is_estimate,
        page=page.page,
        pages=page.pages,
        page_size=page.page_size,
        did_you_mean=page.did_you_mean,
    )


@router.get("/issues/{human_id}", response={200: IssueDetailOut, 404: ErrorOut})
def issues_detail(request: HttpRequest, human_id: str) -> IssueDetailOut:
    """One issue with its products, statements, involvements, timeline and notices."""
    return _detail(_user(request), human_id)


def _products(products: list[ProductIn]) -> list[dict[str, Any]]:
    """The service's product dicts. A DMC is named by its identifier; the service checks that
    every product exists in the catalogue."""
    identifiers = [p.dmc.strip().upper() for p in products if p.dmc]
    found = dict(DMC.objects.filter(identifier__in=identifiers).values_list("identifier", "pk"))
    missing = sorted(set(identifiers) - set(found))
    if missing:
        raise ValidationFailed({"products": [f"DMC {d} is not in the catalogue." for d in missing]})
    return [
        {
            "device_version": p.device_version_id,
            "dmc": found[p.dmc.strip().upper()] if p.dmc else None,
            "status": p.status,
            "first_fixed_firmware": p.first_fixed_firmware,
        }
        for p in products
    ]


@router.post("/issues", response={201: IssueDetailOut, **REFUSALS}, summary="Report a draft")
@refusals_as_responses
def issues_create(request: HttpRequest, payload: IssueCreateIn) -> Any:
    user = _user(request)
    fields = payload.dict(exclude={"products"})
    issue = issue_create_draft(actor=user, products=_products(payload.products), **fields)
    return Status(201, _detail(user, issue.human_id))


@router.patch("/issues/{human_id}", response={200: IssueDetailOut, **REFUSALS})
@refusals_as_responses
def issues_update(request: HttpRequest, human_id: str, payload: IssueUpdateIn) -> Any:
    """Change fields of an issue; refused with 409 if it is no longer at `expected_version`."""
    user = _user(request)
    issue = issue_get_visible(user=user, human_id=human_id)
    changes = payload.dict(exclude={"expected_version", "products"}, exclude_unset=True)
    if payload.products is not None:
        changes["products"] = _products(payload.products)
    issue_update(issue=issue, actor=user, expected_version=payload.expected_version, **changes)
    return Status(200, _detail(user, human_id))


@router.post("/issues/{human_id}/transitions", response={200: IssueDetailOut, **REFUSALS})
@refusals_as_responses
def issues_transition(request: HttpRequest, human_id: str, payload: TransitionIn) -> Any:
    """Take a workflow step; a refusal lists every unmet condition."""
    user = _user(request)
    issue = issue_get_visible(user=user, human_id=human_id)
    issue_transition(
        issue=issue,
        actor=user,
        transition=payload.transition,
        reason=payload.reason,
        expected_version=payload.expected_version,
    )
    return Status(200, _detail(user, human_id))


@router.post("/issues/{human_id}/statements", response={201: StatementOut, **REFUSALS})
@refusals_as_responses
def statements_create(request: HttpRequest, human_id: str, payload: StatementIn) -> Any:
    """Add a statement; `supersedes` / `challenges` name statements of the same issue."""
    user = _user(request)
    issue = issue_get_visible(user=user, human_id=human_id)
    visible = {s.pk: s for s in statements_visible_to(user=user, issue=issue)}
    unknown = {
        name: [f"Statement #{pk} is not a statement of {issue.human_id}."]
        for name, pk in (("supersedes", payload.supersedes), ("challenges", payload.challenges))
        if pk is not None and pk not in visible
    }
    if unknown:
        raise ValidationFailed(unknown)
    statement = statement_add(
        issue=issue,
        actor=user,
        kind=payload.kind,
        text=payload.text,
        supersedes=visible.get(payload.supersedes) if payload.supersedes else None,
        challenges=visible.get(payload.challenges) if payload.challenges else None,
    )
    empty: dict[str, dict[int, list[int]]] = {"superseded_by": {}, "challenged_by": {}}
    return Status(201, StatementOut.from_statement(statement, empty))


@router.post("/issues/{human_id}/response", response={200: IssueDetailOut, **REFUSALS})
@refusals_as_responses
def issues_manufacturer_response(
    request: HttpRequest, human_id: str, payload: ManufacturerResponseIn
) -> Any:
    """A named manufacturer acknowledges the notice, or disputes the issue with a rationale."""
    user = _user(request)
    issue = issue_get_visible(user=user, human_id=human_id)
    if payload.response == "dispute":
        manufacturer_dispute(issue=issue, actor=user, rationale=payload.rationale)
    else:
        manufacturer_acknowledge(issue=issue, actor=user)
    return Status(200, _detail(user, human_id))


def _match(match: ProcurementRow) -> dict[str, Any]:
    return {
        "human_id": match.human_id,
        "title": match.title,
        "state": match.state,
        "disputed": match.disputed,
        "withdrawn": match.withdrawn,
        "published_at": match.published_at,
        "products": [{"product": p.label, "status": p.status} for p in match.products],
    }


@router.post("/procurement-check", response={200: ProcurementCheckOut, 422: ErrorOut})
@refusals_as_responses
def procurement_check_api(request: HttpRequest, payload: ProcurementCheckIn) -> Any:
    """The issues on the register touching each model, model + firmware or DMC: per item how
    many (`total`) and one page of them, newest publication first (`limit`, `offset`)."""
    items, errors = [], {}
    for number, text in enumerate(payload.items):
        try:
            items.append(parse_procurement_line(text))
        except IdentifierError as error:
            errors[f"items[{number}]"] = [f"{text!r}: {error}"]
    if errors:
        raise ValidationFailed(errors)
    results = procurement_check_rows(
        user=_user(request),
        items=list(dict.fromkeys(items)),
        offset=payload.offset,
        limit=payload.limit,
    )
    body = {
        "results": [
            {
                "item": result.item.label,
                "kind": result.item.kind,
                "in_catalogue": result.in_catalogue,
                "total": result.total,
                "offset": result.offset,
                "more": result.more,
                "matches": [_match(match) for match in result.matches],
            }
            for result in results
        ]
    }
    return Status(200, body)
