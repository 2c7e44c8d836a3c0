"""Generated: every role of every kind of organisation over every issue state.

For each (organisation, role) the cast's reporting supplier has one issue in every state, each
naming a device version of the cast's manufacturer and carrying an installation-level evidence
file, plus a published control issue. The tests check, through the selectors, the UI and the
JSON API, that each issue is listed, searchable, shown, exported and found by the procurement
check (page and API) exactly when the visibility rules (tests/register/cast.py AUDIENCE) say
so; where hidden, the detail and evidence URLs answer 404 exactly like a missing issue. The
control must appear everywhere, so an empty or broken page cannot pass for "hidden". Every
mismatch of a case is reported together, naming the state and the channel.
"""

from __future__ import annotations

import itertools
import json
import re

import pytest
from django.http import Http404
from django.test import Client
from django.utils import timezone

from kir.accounts.models import Role
from kir.accounts.services import token_create
from kir.notify.feeds import feed_key_renew, feed_token
from kir.notify.messages import fanout_enqueue
from kir.notify.models import MailPreferences, Notification, PublicationMail, Subscription
from kir.notify.selectors import notifications_for
from kir.notify.services import notifications_enqueue
from kir.notify.webhooks.events import webhook_events_enqueue
from kir.notify.webhooks.models import WebhookEndpoint
from kir.outbox.models import Job
from kir.outbox.worker import deliver_due
from kir.register.models import Evidence, Issue, IssueState
from kir.register.selectors import (
    IssueFilters,
    evidence_visible_to,
    issue_get_visible,
    issue_search,
    issue_search_queryset,
    issues_visible_to,
    procurement_check,
    procurement_item_for_version,
)
from kir.register.workflow import PUBLIC_STATES
from tests.factories import EvidenceFactory
from tests.notify.webhooks_world import expand_events
from tests.register.cast import AUDIENCE, ORGANISATIONS, Cast, build_cast

pytestmark = pytest.mark.django_db

SEARCH_WORD = "chatter"
CSRF_TOKEN = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]*"')
EVIDENCE_READERS = {"reporter", "dcc", "secas"}
CASES = list(itertools.product([key for key, _ in ORGANISATIONS], Role.values))


class World:
    def __init__(self, cast: Cast, key: str, role: str) -> None:
        self.cast = cast
        self.key = key
        self.user = cast.user(key, role)
        self.issues: dict[str, Issue] = {}
        self.evidence: dict[str, Evidence] = {}
        for state in IssueState.values:
            # Public-state issues carry the date a CSAF document's first release needs.
            published_at = timezone.now() if state in PUBLIC_STATES else None
            issue = cast.issue(
                state,
                title=f"Relay chatter while {state.replace('_', ' ')}",
                published_at=published_at,
            )
            self.issues[state] = issue
            self.evidence[state] = EvidenceFactory(
                issue=issue,
                organisation=cast.organisations["reporter"],
                uploaded_by=cast.users["reporter"],
                description=f"Device ids of the {state} issue",
                installation_level=True,
            )
        self.control = cast.issue(
            IssueState.PUBLISHED, title="Relay chatter on a display", published_at=timezone.now()
        )
        self.mismatches: list[str] = []

    def sees(self, state: str) -> bool:
        return self.key in AUDIENCE[state]

    def on_register(self, state: str) -> bool:
        return self.sees(state) and state in PUBLIC_STATES

    def csaf_url(self, issue: Issue) -> str:
        year = issue.published_at.year if issue.published_at else timezone.now().year
        return f"/.well-known/csaf/green/{year}/{issue.human_id.lower()}.json"

    def sees_evidence(self, state: str) -> bool:
        return self.sees(state) and self.key in EVIDENCE_READERS

    def expect(self, channel: str, state: str, actual: bool, expected: bool) -> None:
        if actual != expected:
            what = "shown" if actual else "hidden"
            self.mismatches.append(f"{state}: {channel} {what}, expected the opposite")

    def check_listing(self, channel: str, content: bytes | set[str], *, register: bool = False):
        """`content` (a page, or a set of ids) lists exactly the issues the user may see."""

        def found(human_id: str) -> bool:
            if isinstance(content, set):
                return human_id in content
            return human_id.encode() in content

        if not found(self.control.human_id):
            self.mismatches.append(f"{channel}: the published control issue is missing")
        for state, issue in self.issues.items():
            expected = self.on_register(state) if register else self.sees(state)
            self.expect(channel, state, found(issue.human_id), expected)

    def verdict(self) -> None:
        assert not self.mismatches, "\n".join(self.mismatches)


@pytest.fixture(params=CASES, ids=["-".join(case) for case in CASES])
def world(request, db, settings, tmp_path) -> World:
    settings.MEDIA_ROOT = tmp_path
    key, role = request.param
    return World(build_cast(), key, role)


def test_selectors(world: World):
    user = world.user
    visible = issues_visible_to(user=user).values_list("human_id", flat=True)
    world.check_listing("list", set(visible))
    searched = issue_search(user=user, query=SEARCH_WORD, page_size=100).items
    world.check_listing("search", {i.human_id for i in searched})
    exported = issue_search_queryset(user=user, filters=IssueFilters(manufacturer="1A2B"))
    world.check_listing("export", {i.human_id for i in exported})
    for state, issue in world.issues.items():
        try:
            shown = issue_get_visible(user=user, human_id=issue.human_id) == issue
        except Http404:
            shown = False
        world.expect("issue_get_visible", state, shown, world.sees(state))
        evidence = evidence_visible_to(user=user, issue=issue)
        world.expect(
            "evidence", state, world.evidence[state] in evidence, world.sees_evidence(state)
        )
    item = procurement_item_for_version(world.cast.affected_version)
    (result,) = procurement_check(user=user, items=[item])
    world.check_listing(
        "procurement check", {m.issue.human_id for m in result.matches}, register=True
    )
    world.verdict()


def test_ui(world: World):
    client = Client()
    client.force_login(world.user)
    world.check_listing("UI list", client.get("/issues/").content)
    world.check_listing("UI search", client.get("/issues/", {"q": SEARCH_WORD}).content)
    exported = client.get("/issues/export.csv", {"q": SEARCH_WORD})
    world.check_listing("CSV export", b"".join(exported.streaming_content))
    absent = client.get("/issues/KIR-1999-9999/")
    assert absent.status_code == 404
    for state, issue in world.issues.items():
        detail = client.get(f"/issues/{issue.human_id}/")
        world.expect("UI detail", state, detail.status_code == 200, world.sees(state))
        if detail.status_code == 404 and unmasked(detail.content) != unmasked(absent.content):
            world.mismatches.append(f"{state}: UI 404 differs from a missing issue's")
        if detail.status_code == 200:
            listed = world.evidence[state].description.encode() in detail.content
            world.expect("UI evidence listing", state, listed, world.sees_evidence(state))
        evidence = client.get(f"/issues/{issue.human_id}/evidence/{world.evidence[state].pk}/")
        world.expect(
            "UI evidence download", state, evidence.status_code == 200, world.sees_evidence(state)
        )
    checked = client.post("/issues/procurement-check/", {"pasted": procurement_line(world)})
    assert checked.status_code == 200, checked.content
    world.check_listing("UI procurement check", checked.content, register=True)
    world.verdict()


def unmasked(page: bytes) -> bytes:
    """The page without its CSRF token, which Django masks afresh on every response."""
    return CSRF_TOKEN.sub(b'name="csrfmiddlewaretoken" value=""', page)


def procurement_line(world: World) -> str:
    version = world.cast.affected_version
    model = version.device_model
    return f"{model.manufacturer.identifier} {model.model_id} fw {version.firmware_version}"


def test_api(world: World):
    _, secret = token_create(user=world.user, name="matrix", expires_in_days=1)
    client = Client(headers={"Authorization": f"Bearer {secret}"})
    listed = client.get("/api/issues", {"page_size": 100}).json()["items"]
    world.check_listing("API list", {i["human_id"] for i in listed})
    searched = client.get("/api/issues", {"q": SEARCH_WORD, "page_size": 100}).json()["items"]
    world.check_listing("API search", {i["human_id"] for i in searched})
    absent = client.get("/api/issues/KIR-1999-9999")
    assert absent.status_code == 404
    for state, issue in world.issues.items():
        detail = client.get(f"/api/issues/{issue.human_id}")
        world.expect("API detail", state, detail.status_code == 200, world.sees(state))
        if detail.status_code == 404 and detail.json() != absent.json():
            world.mismatches.append(f"{state}: API 404 differs from a missing issue's")
    body = json.dumps({"items": [procurement_line(world)]})
    checked = client.post("/api/procurement-check", body, content_type="application/json")
    assert checked.status_code == 200, checked.content
    world.check_listing("API procurement check", checked.content, register=True)
    world.verdict()


def test_notifications_and_home_page(world: World):
    """A notification about each issue queued for the user is delivered (and listed) exactly when
    the user may see the issue; the home page's worklists name no issue hidden from the user."""
    for issue in [*world.issues.values(), world.control]:
        notifications_enqueue(
            key=f"matrix.{issue.pk}", users=[world.user], title="About it", issue_id=issue.pk
        )
    deliver_due()
    stored = Notification.objects.filter(user=world.user).values_list("issue__human_id", flat=True)
    world.check_listing("notifications delivered", set(stored))
    listed = notifications_for(user=world.user).values_list("issue__human_id", flat=True)
    world.check_listing("notifications listed", set(listed))
    client = Client()
    client.force_login(world.user)
    home = client.get("/").content
    for state, issue in world.issues.items():
        if issue.human_id.encode() in home and not world.sees(state):
            world.mismatches.append(f"{state}: home page names a hidden issue")
    world.verdict()


def test_subscriptions_and_emails(world: World, mailoutbox):
    """A subscriber to the issues' manufacturer and model, who takes only matching issues by
    e-mail, is told (in the app and by e-mail) of exactly the issues it may see, whatever state
    the notice is forced for; no e-mail carries installation-level data (the evidence)."""
    affected = world.cast.affected_version
    for kind, value in (
        ("manufacturer", affected.device_model.manufacturer_id),
        ("device_model", affected.device_model_id),
    ):
        Subscription.objects.create(user=world.user, kind=kind, value=str(value))
    MailPreferences.objects.create(user=world.user, publications=PublicationMail.SUBSCRIBED)
    for issue in [*world.issues.values(), world.control]:
        fanout_enqueue(key=f"matrix.{issue.pk}", event="published", issue=issue)
    deliver_due()
    told = Notification.objects.filter(user=world.user, key__startswith="matrix.")
    world.check_listing("subscription notices", set(told.values_list("issue__human_id", flat=True)))
    mine = [m for m in mailoutbox if m.to == [world.user.email]]
    world.check_listing("subscription e-mails", {m.subject.split()[3] for m in mine})
    for message in mine:
        if "Device ids of the" in message.body + str(message.alternatives):
            world.mismatches.append(f"{message.subject}: an e-mail carries evidence")
    world.verdict()


def test_atom_feed(world: World):
    """The user's feed lists exactly the register issues the user may see, filtered or not."""
    token = feed_token(feed_key_renew(user=world.user))
    world.check_listing(
        "Atom feed", Client().get(f"/feeds/{token}/issues.atom").content, register=True
    )
    filtered = Client().get(f"/feeds/{token}/issues.atom", {"manufacturer": "1A2B"})
    world.check_listing("filtered Atom feed", filtered.content, register=True)
    world.verdict()


def test_webhook_payloads(world: World):
    """An endpoint of the user's organisation is sent an event about exactly the issues the
    organisation may see, and the installation-level evidence only where it may see that."""
    WebhookEndpoint.objects.create(
        organisation=world.user.organisation,
        url="https://hooks.example.org/kir",
        events=["issue.updated"],
        created_by=world.user,
    )
    for issue in [*world.issues.values(), world.control]:
        webhook_events_enqueue(event="issue.updated", issue=issue)
    expand_events()  # what the worker does first: one delivery per endpoint that may see it
    sent = {
        job.payload["body"]["data"]["issue"]["human_id"]: job.payload["body"]["data"]["issue"]
        for job in Job.objects.filter(kind="webhook")
    }
    world.check_listing("webhook payloads", set(sent))
    for state, issue in world.issues.items():
        if issue.human_id in sent:
            described = {item["description"] for item in sent[issue.human_id]["evidence"]}
            listed = world.evidence[state].description in described
            world.expect("webhook evidence", state, listed, world.sees_evidence(state))
    world.verdict()


SERVICE_AUDIENCE_KEYS = {
    "reporter": "reporter",
    "other_supplier": "small_supplier",
    "manufacturer": "named_manufacturer",
    "dcc": "dcc",
    "secas": "secas",
}


@pytest.mark.parametrize("state", IssueState.values)
def test_issues_made_by_the_services_follow_the_same_rules(db, state):
    """The same rules over issues the real workflow made (its products, involvements, notices,
    and the search documents its services keep), not only over factory rows."""
    from tests.register.services.conftest import build_world

    services_world = build_world()
    issue = services_world.issue_in(state)
    for key, organisation in services_world.organisations.items():
        member = next(u for u in services_world.users.values() if u.organisation == organisation)
        expected = SERVICE_AUDIENCE_KEYS[key] in AUDIENCE[state]
        listed = issues_visible_to(user=member).filter(pk=issue.pk).exists()
        searched = {i.pk for i in issue_search(user=member, query="8F35 firmware").items}
        assert listed == expected, (state, key, "list")
        assert (issue.pk in searched) == expected, (state, key, "search")


def test_csaf_documents(world: World):
    """A CSAF document (in the provider layout, its hashes, and through the API) exists for
    the issues on the published register the user sees, and for nothing else; hidden answers
    404 exactly like a missing issue, and without credentials the TLP:GREEN folder answers 401."""
    _, secret = token_create(user=world.user, name="matrix", expires_in_days=1)
    by_token = Client(headers={"Authorization": f"Bearer {secret}"})
    by_session = Client()
    by_session.force_login(world.user)
    missing = "/.well-known/csaf/green/1999/kir-1999-9999.json"
    absent = {
        "token": by_token.get(missing),
        "session": by_session.get(missing),
        "api": by_token.get("/api/issues/KIR-1999-9999/csaf"),
    }
    assert {response.status_code for response in absent.values()} == {404}
    for state, issue in [*world.issues.items(), ("control", world.control)]:
        expected = state == "control" or world.on_register(state)
        url = world.csaf_url(issue)
        for channel, client_kind, response in (
            ("CSAF file by token", "token", by_token.get(url)),
            ("CSAF file by session", "session", by_session.get(url)),
            ("CSAF .sha256", "token", by_token.get(url + ".sha256")),
            ("CSAF .sha512", "session", by_session.get(url + ".sha512")),
            ("API CSAF", "api", by_token.get(f"/api/issues/{issue.human_id}/csaf")),
        ):
            world.expect(channel, state, response.status_code == 200, expected)
            missing_page = unmasked(absent[client_kind].content)
            if response.status_code == 404 and unmasked(response.content) != missing_page:
                world.mismatches.append(f"{state}: {channel} 404 differs from a missing one's")
        if Client().get(url).status_code != 401:
            world.mismatches.append(f"{state}: CSAF file without credentials did not answer 401")
    world.verdict()
