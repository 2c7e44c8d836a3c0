"""Who may see what on the register: the one place that decides it.

Every surface (pages, the API, the CSV export, procurement, search, services acting for a user,
and every future feed, document, message or webhook) asks these functions; none decides on its
own. The rules, by the issue's state:

- draft, under assessment: the reporting organisation, SECAS and DCC;
- manufacturer notified: also the named manufacturers (`named_manufacturer_organisations`);
- published, resolved, closed, withdrawn: every signed-in member of a SEC Party;
- rejected: the reporter, SECAS and DCC.
The coordinating organisation, when one is assigned, sees the issue as the reporter does. SECAS
and DCC (`OVERSIGHT_CATEGORIES`) see everything. Anything hidden answers 404
(`issue_get_visible`), exactly as if it did not exist.

Installation-level data (evidence naming installations) is seen only by the organisation it
belongs to and by SECAS and DCC (`evidence_visible_to`); for anyone else it does not exist.

Two rules have a second form for speed, each held equal to the one here by the property test
in tests/register/test_visibility_forms.py on both databases: `named_manufacturer_issue_ids`
(plain SQL) and the PostgreSQL column of named manufacturers kept by triggers (register
migration 0006); and `public_states_for`, the procurement check's filter.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

from django.db import connection
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from kir.accounts.models import Organisation, PartyCategory
from kir.accounts.selectors import user_is_member
from kir.catalogue.models import DMC, DeviceModel, DeviceVersion, Manufacturer
from kir.register.models import (
    AffectedProduct,
    Evidence,
    Involvement,
    InvolvementRole,
    Issue,
    IssueState,
    Statement,
)
from kir.register.sql import issue_id_among
from kir.register.workflow import PUBLIC_STATES

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from kir.accounts.models import User

# Organisations that see every issue in every state, and all installation-level data.
OVERSIGHT_CATEGORIES = frozenset({PartyCategory.SECAS, PartyCategory.DCC})


def organisation_of(user: User | AnonymousUser) -> Organisation | None:
    """The organisation the user acts for, or None for anyone who is not an active member."""
    if not user_is_member(user):
        return None
    return user.organisation  # type: ignore[union-attr]


def named_manufacturers(issue: Issue) -> list[Manufacturer]:
    """The catalogue manufacturers an issue names: of its affected device versions and of every
    member of its affected DMCs. The one definition; the forms below are tested against it."""
    products = AffectedProduct.objects.filter(issue=issue)
    direct = products.filter(device_version__isnull=False).values(
        "device_version__device_model__manufacturer_id"
    )
    in_dmcs = products.filter(dmc__isnull=False).values(
        "dmc__members__device_model__manufacturer_id"
    )
    return list(
        Manufacturer.objects.filter(Q(pk__in=direct) | Q(pk__in=in_dmcs))
        .select_related("organisation")
        .order_by("name")
    )


def named_manufacturer_organisations(issue: Issue) -> tuple[list[Organisation], list[str]]:
    """The organisations that see the issue from notice onwards as its named manufacturers (and
    that the notices go to): those speaking for a named manufacturer, plus any organisation
    involved in the issue as manufacturer; by name. Also the names of named manufacturers that
    no organisation speaks for, whom no notice can reach."""
    organisations: dict[int, Organisation] = {}
    unreachable = []
    for maker in named_manufacturers(issue):
        if maker.organisation is None:
            unreachable.append(maker.name)
        else:
            organisations.setdefault(maker.organisation.pk, maker.organisation)
    involved = Organisation.objects.filter(
        involvements__issue=issue, involvements__role=InvolvementRole.MANUFACTURER
    )
    for organisation in involved:
        organisations.setdefault(organisation.pk, organisation)
    return sorted(organisations.values(), key=lambda o: o.name), unreachable


def is_named_manufacturer(issue: Issue, organisation_id: int | None) -> bool:
    if organisation_id is None:
        return False
    organisations, _ = named_manufacturer_organisations(issue)
    return any(o.pk == organisation_id for o in organisations)


@functools.cache
def _named_issue_ids_sql() -> str:
    """`named_manufacturer_organisations` turned round: the manufacturer-notified issues that
    name an organisation, through an affected device version, an affected DMC containing one of
    its versions, or an involvement as manufacturer. Parameters: organisation, state,
    organisation, role. Plain SQL, the same on both engines, composed once, because it runs
    inside every list query a manufacturer makes."""
    version, model, maker = (m._meta.db_table for m in (DeviceVersion, DeviceModel, Manufacturer))
    product, issue = AffectedProduct._meta.db_table, Issue._meta.db_table
    members, involvement = DMC.members.through._meta.db_table, Involvement._meta.db_table
    return f"""
        WITH spoken_for AS (
            SELECT v.id FROM {version} v
            JOIN {model} m ON m.id = v.device_model_id
            JOIN {maker} f ON f.id = m.manufacturer_id
            WHERE f.organisation_id = %s
        )
        SELECT i.id FROM {issue} i WHERE i.state = %s AND i.id IN (
            SELECT p.issue_id FROM {product} p
            WHERE p.device_version_id IN (SELECT id FROM spoken_for)
            UNION ALL
            SELECT p.issue_id FROM {product} p JOIN {members} d ON d.dmc_id = p.dmc_id
            WHERE d.deviceversion_id IN (SELECT id FROM spoken_for)
            UNION ALL
            SELECT n.issue_id FROM {involvement} n WHERE n.organisation_id = %s AND n.role = %s
        )"""


# Within one GET or HEAD request (kir.register.middleware) the named-manufacturer ids are read
# once per organisation, not once per selector: an issue page asked four times. Such a request
# writes nothing, and a write by another request in between is no different from having read a
# moment earlier; the state is tested again in `visibility_q` regardless. Outside a request (the
# worker, commands, tests calling selectors) there is no memo and every call reads.
_named_ids_memo: ContextVar[dict[int, list[int]] | None] = ContextVar("named_ids", default=None)


@contextmanager
def named_manufacturer_ids_memo() -> Iterator[None]:
    token = _named_ids_memo.set({})
    try:
        yield
    finally:
        _named_ids_memo.reset(token)


def named_manufacturer_issue_ids(organisation_id: int) -> list[int]:
    """Ids of the manufacturer-notified issues that name `organisation_id` as a manufacturer."""
    memo = _named_ids_memo.get()
    if memo is not None and organisation_id in memo:
        return list(memo[organisation_id])
    ids = _read_named_manufacturer_issue_ids(organisation_id)
    if memo is not None:
        memo[organisation_id] = ids
    return list(ids)


def _read_named_manufacturer_issue_ids(organisation_id: int) -> list[int]:
    params = (
        organisation_id,
        IssueState.MANUFACTURER_NOTIFIED.value,
        organisation_id,
        InvolvementRole.MANUFACTURER.value,
    )
    with connection.cursor() as cursor:
        cursor.execute(_named_issue_ids_sql(), params)
        return [row[0] for row in cursor.fetchall()]


def visibility_q(user: User | AnonymousUser) -> Q:
    """The visibility rules as one filter over Issue; matches nothing for non-members.

    The issues naming the organisation as manufacturer are read first, as a list (usually empty:
    only manufacturers are named, and only issues in manufacturer-notified count), so the filter
    every list, search and count carries stays three plain column tests and, at most, an id list.
    The state is tested again in the filter itself, so an issue that moved on in between does not
    stay visible through the list.
    """
    organisation = organisation_of(user)
    if organisation is None:
        return Q(pk__in=[])
    if organisation.category in OVERSIGHT_CATEGORIES:
        return Q()
    visible = (
        Q(state__in=PUBLIC_STATES)
        | Q(reporter_organisation_id=organisation.pk)
        | Q(coordinator_organisation_id=organisation.pk)
    )
    named = named_manufacturer_issue_ids(organisation.pk)
    if named:
        visible |= Q(state=IssueState.MANUFACTURER_NOTIFIED) & issue_id_among(named)
    return visible


def issues_visible_to(*, user: User | AnonymousUser) -> QuerySet[Issue]:
    return Issue.objects.filter(visibility_q(user))


def issue_is_visible_to(user: User | AnonymousUser, issue: Issue) -> bool:
    return issues_visible_to(user=user).filter(pk=issue.pk).exists()


def public_states_for(user: User | AnonymousUser) -> frozenset[str]:
    """The states of the issues on the public register that `user` sees: every public state
    (published, resolved, closed, withdrawn) for a member of any organisation, none otherwise.

    Filtering by these states alone gives the same issues as `visibility_q(user)` with a
    public-state filter: the reporter and manufacturer rules cannot widen it.
    """
    return PUBLIC_STATES if organisation_of(user) is not None else frozenset()


def actor_shown_to(viewer: User | AnonymousUser, actor: User | None) -> str:
    """Who acted (a workflow step), as the viewer may see it: the person, to the actor's own
    organisation and to SECAS and DCC; to every other organisation only the organisation."""
    if actor is None:
        return "the system"
    organisation = actor.organisation
    if organisation is None:
        return actor.get_username()
    own = organisation_of(viewer)
    if own is not None and (own.pk == organisation.pk or own.category in OVERSIGHT_CATEGORIES):
        return f"{actor.get_username()} ({organisation.name})"
    return organisation.name


def products_prefetch() -> Prefetch:
    """An issue's affected products with their catalogue entries, for pages showing them."""
    return Prefetch(
        "products",
        queryset=AffectedProduct.objects.select_related(
            "device_version__device_model__manufacturer", "dmc"
        ),
    )


def issue_get_visible(
    *, user: User | AnonymousUser, human_id: str, with_products: bool = True
) -> Issue:
    """The issue, or Http404 when it is hidden from `user` or does not exist (the same answer).

    `with_products=False` leaves out the products and their catalogue entries, for callers that
    read them their own way: as model instances they cost a 200-product issue's CSAF request
    75 ms of its 110 (benchmarks/csaf_document.py)."""
    issues = issues_visible_to(user=user).select_related(
        "reporter_organisation", "coordinator_organisation", "created_by"
    )
    if with_products:
        issues = issues.prefetch_related(products_prefetch())
    issue = issues.filter(human_id=human_id.strip().upper()).first()
    if issue is None:
        raise Http404("No such issue.")
    return issue


def statements_visible_to(*, user: User | AnonymousUser, issue: Issue) -> QuerySet[Statement]:
    """Every statement of a visible issue, oldest first, supersessions and challenges included."""
    if not issue_is_visible_to(user, issue):
        return Statement.objects.none()
    return Statement.objects.filter(issue=issue).select_related(
        "organisation", "author", "supersedes", "challenges"
    )


def evidence_visible_to(*, user: User | AnonymousUser, issue: Issue) -> QuerySet[Evidence]:
    """Evidence of a visible issue; installation-level items only for the uploading organisation,
    SECAS and DCC. For anyone else such items do not exist, not even as a count."""
    organisation = organisation_of(user)
    if organisation is None or not issue_is_visible_to(user, issue):
        return Evidence.objects.none()
    evidence = Evidence.objects.filter(issue=issue).select_related("organisation", "uploaded_by")
    if organisation.category in OVERSIGHT_CATEGORIES:
        return evidence
    return evidence.filter(Q(installation_level=False) | Q(organisation_id=organisation.pk))


def evidence_get_visible(*, user: User | AnonymousUser, issue: Issue, evidence_id: int) -> Evidence:
    item = evidence_visible_to(user=user, issue=issue).filter(pk=evidence_id).first()
    if item is None:
        raise Http404("No such evidence.")
    return item
