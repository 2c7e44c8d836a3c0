"""The tracker surfaces in the visibility matrix: every role of every kind of organisation.

One run holds five findings: A (in a published edition, suppressed for parties), B (published,
figures shown), C (only in a draft edition), D (only in a withdrawn edition) and E (only in a
cancelled proposal). Two suppliers have installations in A and B
(the reporter's and the other large supplier's). Through the selectors, the JSON API and the run
pages, each user must see exactly: DCC and SECAS everything with every device row; a supplier
A and B with its own device rows only; every other Party A and B as the parties view, A's
figures null; nobody but DCC and SECAS a run, C, D, E, or the draft or cancelled edition (404 as
if absent). The withdrawn edition stays listed for everyone, saying so, with no finding shown to
anyone but DCC and SECAS.
"""

from __future__ import annotations

import itertools

import pytest
from django.test import Client
from django.utils import timezone

from kir.accounts.models import Role
from kir.tracker.models import (
    EditionFinding,
    SupplierCode,
    TrackerEdition,
)
from kir.tracker.selectors import finding_view, findings_visible_to, runs_visible_to
from kir.tracker.store import store_findings
from tests.register.cast import ORGANISATIONS, build_cast
from tests.tracker.rows import device_row as _device
from tests.tracker.rows import finding_dict as _finding
from tests.tracker.rows import succeeded_run

pytestmark = pytest.mark.django_db

CASES = list(itertools.product([key for key, _ in ORGANISATIONS], Role.values))
FULL = {"dcc", "secas"}
CODES = {"reporter": "SUP-R", "large_supplier": "SUP-L"}
NAMES = "ABCDE"


@pytest.fixture
def tracker_world(db):
    cast = build_cast()
    for key, code in CODES.items():
        SupplierCode.objects.create(code=code, organisation=cast.organisations[key])
    run = succeeded_run()
    rows = {
        name: [_device(i * 2 + 1, "SUP-R"), _device(i * 2 + 2, "SUP-L")]
        for i, name in enumerate(NAMES)
    }
    findings = [_finding(f"8F3{i}", rows[name]) for i, name in enumerate(NAMES)]
    views = {
        "suppression_reasons": ["fewer than 50 installations", None, None, None, None],
        "supplier_devices": {
            code: [[d for d in rows[name] if d["supplier"] == code] for name in NAMES]
            for code in CODES.values()
        },
    }
    store_findings(run, findings, views)
    a, b, c, d, e = run.findings.order_by("position")
    now = timezone.now()
    published = TrackerEdition.objects.create(
        run=run, number=1, status="published", grade="indicative", published_at=now
    )
    draft = TrackerEdition.objects.create(run=run, number=2, status="draft", grade="indicative")
    withdrawn = TrackerEdition.objects.create(
        run=run,
        number=3,
        status="withdrawn",
        grade="indicative",
        published_at=now,
        withdrawn_at=now,
        end_reason="Wrong input day.",
    )
    cancelled = TrackerEdition.objects.create(
        run=run, number=4, status="cancelled", grade="indicative", cancelled_at=now
    )
    entries = ((published, (a, b)), (draft, (c,)), (withdrawn, (d,)), (cancelled, (e,)))
    for edition, findings_in in entries:
        for finding in findings_in:
            EditionFinding.objects.create(edition=edition, finding=finding)
    return cast, run, (a, b, c, d, e), (published, draft, withdrawn, cancelled), rows


@pytest.mark.parametrize(("key", "role"), CASES, ids=["-".join(c) for c in CASES])
def test_each_user_sees_exactly_its_tracker_audience(tracker_world, key, role) -> None:
    cast, run, (a, b, c, d, e), (published, draft, withdrawn, cancelled), rows = tracker_world
    user = cast.user(key, role)
    full = key in FULL
    client = Client()
    client.force_login(user)
    problems: list[str] = []

    def expect(channel: str, actual, expected) -> None:
        if actual != expected:
            problems.append(f"{channel}: got {actual!r}, expected {expected!r}")

    visible = {a.pk, b.pk, c.pk, d.pk, e.pk} if full else {a.pk, b.pk}
    expect(
        "selector findings", set(findings_visible_to(user).values_list("pk", flat=True)), visible
    )
    expect("selector runs", list(runs_visible_to(user)), [run] if full else [])
    listed = client.get("/api/tracker/findings").json()["items"]
    expect("api findings", {f["id"] for f in listed}, visible)
    for finding, name in zip((a, b, c, d, e), NAMES, strict=True):
        answer = client.get(f"/api/tracker/findings/{finding.pk}")
        series = client.get(f"/api/tracker/findings/{finding.pk}/series")
        if finding.pk not in visible:
            expect(f"api finding {name}", answer.status_code, 404)
            expect(f"api series {name}", series.status_code, 404)
            continue
        body = answer.json()
        if full:
            own = rows[name]
        elif key in CODES:
            own = [d for d in rows[name] if d["supplier"] == CODES[key]]
        else:
            own = None
        expect(f"api devices {name}", body["devices"], own)
        hidden = name == "A" and not full
        expect(f"api suppressed {name}", body["suppressed"], hidden)
        expect(
            f"api installations {name}", body["figures"]["installations"], None if hidden else 40
        )
        expect(f"api series {name}", bool(series.json()["days"]), not hidden)
        expect(f"selector view {name}", finding_view(user, finding).get("devices"), own)
    expect(
        "api runs",
        [r["id"] for r in client.get("/api/tracker/runs").json()],
        [run.pk] if full else [],
    )
    expect("api run", client.get(f"/api/tracker/runs/{run.pk}").status_code, 200 if full else 404)
    expect("run list page", client.get("/tracker/runs/").status_code, 200 if full else 404)
    expect("run page", client.get(f"/tracker/runs/{run.pk}/").status_code, 200 if full else 404)
    editions = {e["id"] for e in client.get("/api/tracker/editions").json()}
    every = {published.pk, draft.pk, withdrawn.pk, cancelled.pk}
    expect("api editions", editions, every if full else {published.pk, withdrawn.pk})
    for edition, name in ((draft, "draft"), (cancelled, "cancelled")):
        expect(
            f"api {name} edition",
            client.get(f"/api/tracker/editions/{edition.pk}").status_code,
            200 if full else 404,
        )
        expect(
            f"{name} edition page",
            client.get(f"/tracker/editions/{edition.number}/").status_code,
            200 if full else 404,
        )
    expect(
        "api withdrawn edition findings",
        client.get(f"/api/tracker/editions/{withdrawn.pk}").json()["findings"],
        [d.pk] if full else [],
    )
    page = client.get(f"/tracker/editions/{withdrawn.number}/")
    text = page.content.decode()
    expect("withdrawn edition page", page.status_code, 200)
    expect("withdrawn edition says so", "Withdrawn edition." in text, True)
    expect("withdrawn edition lists D", f"/tracker/findings/{d.pk}/" in text, full)
    expect(
        "api edition findings",
        client.get(f"/api/tracker/editions/{published.pk}").json()["findings"],
        [a.pk, b.pk],
    )
    assert not problems, "\n".join(problems)


def test_the_api_refuses_an_unknown_certainty(tracker_world) -> None:
    cast = tracker_world[0]
    client = Client()
    client.force_login(cast.users["dcc"])
    assert client.get("/api/tracker/findings?certainty=certain").status_code == 422
    ok = client.get("/api/tracker/findings?certainty=established&manufacturer=acme metering")
    assert ok.status_code == 200 and ok.json()["total"] == 5
    assert client.get("/api/tracker/findings?model=00012345&region=south").json()["total"] == 0
    assert client.get("/api/tracker/findings?code=8f31").json()["total"] == 1
