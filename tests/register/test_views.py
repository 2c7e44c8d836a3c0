"""The register's pages: each renders, each form's happy and refused paths, 404s, CSV export."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.test import Client

from kir.outbox.models import Job
from kir.register.errors import (
    PermissionRefused,
    TransitionRefused,
    ValidationFailed,
    VersionConflict,
)
from kir.register.models import (
    Issue,
    IssueState,
    LanguageOverride,
    RootCauseStatus,
    Statement,
    ThresholdPolicy,
)
from kir.register.services import manufacturer_dispute, statement_add
from tests.clients import signed_in
from tests.factories import DeviceVersionFactory, EvidenceFactory
from tests.register.ui_cast import UiCast, make_ui_cast

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast() -> UiCast:
    return make_ui_cast()


def page(response) -> str:
    return response.content.decode()


def csv_rows(response) -> list[dict[str, str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(body)))


def product_management(total: int = 3, initial: int = 0) -> dict[str, str]:
    return {
        "products-TOTAL_FORMS": str(total),
        "products-INITIAL_FORMS": str(initial),
        "products-MIN_NUM_FORMS": "0",
        "products-MAX_NUM_FORMS": "50",
    }


def issue_post(cast: UiCast, **overrides: str) -> dict[str, str]:
    data = {
        "title": "Alerts repeat after power restoration",
        "summary": "Alert 8F35 repeats every few seconds.",
        "description": "Observed in *North*.",
        "category": "superfluous_alerts",
        "regions": "north",
        "evidence_level": "corroborated",
        "impact_level": "high",
        "excess_alerts_per_day": "900",
        "installations_affected": "120",
        "impact_rationale": "Fourteen days of CSP North data.",
        "products-0-device_version": str(cast.version.pk),
        "products-0-status": "known_affected",
        "products-0-first_fixed_firmware": "",
        **product_management(),
    }
    data.update(overrides)
    return data


def test_it_redirects_anonymous_visitors_to_sign_in(cast):
    response = Client().get("/issues/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_it_lists_what_the_user_may_see_only(cast):
    draft = cast.draft(title="Draft seen by its reporter")
    published = cast.published(title="Published for everyone")
    reporter_page = page(signed_in(cast.reporter).get("/issues/"))
    other_page = page(signed_in(cast.other_supplier).get("/issues/"))
    assert draft.human_id in reporter_page and published.human_id in reporter_page
    assert published.human_id in other_page
    assert draft.human_id not in other_page
    assert '<label for="id_q">Search text' in other_page


def test_it_searches_filters_and_sorts(cast):
    cast.published(title="Gas meter valve chatter", category="metrology", summary="Valve noise.")
    cast.published(title="Comms hub reboot loop", category="communications")
    client = signed_in(cast.other_supplier)
    text = page(client.get("/issues/", {"q": "valve"}))
    assert "Gas meter valve chatter" in text and "Comms hub reboot loop" not in text
    text = page(client.get("/issues/", {"q": "valve chatter", "sort": "relevance"}))
    assert "Gas meter valve chatter" in text and "1 issue" in text
    text = page(client.get("/issues/", {"category": "communications", "sort": "-created"}))
    assert "Comms hub reboot loop" in text and "Gas meter valve chatter" not in text
    text = page(client.get("/issues/", {"manufacturer": "1A2B", "firmware": "01020304"}))
    assert "Comms hub reboot loop" in text and "Gas meter valve chatter" in text
    text = page(client.get("/issues/", {"state": "draft"}))
    assert "0 issues" in text


def test_it_links_filter_errors_to_their_fields(cast):
    response = signed_in(cast.reporter).get(
        "/issues/", {"date_from": "2026-02-01", "date_to": "2026-01-01"}
    )
    text = page(response)
    assert 'href="#id_date_to"' in text
    assert "The end date must not be before the start date." in text


def test_it_paginates_with_the_filters_kept(cast, monkeypatch):
    monkeypatch.setattr("kir.register.views.browse.PAGE_SIZE", 1)
    cast.published(title="First")
    cast.published(title="Second")
    client = signed_in(cast.other_supplier)
    first = page(client.get("/issues/", {"category": "superfluous_alerts"}))
    assert "page 1 of 2" in first
    assert "category=superfluous_alerts&amp;page=2" in first
    second = page(client.get("/issues/", {"category": "superfluous_alerts", "page": "2"}))
    assert "page 2 of 2" in second and 'rel="prev"' in second


def test_it_exports_the_filtered_list_as_csv_with_markers(cast):
    disputed = cast.notified(title="=HYPERLINK(1) disputed issue")
    manufacturer_dispute(issue=disputed, actor=cast.manufacturer_user, rationale="Not our device.")
    hidden = cast.draft(title="Hidden draft")
    response = signed_in(cast.dcc).get("/issues/export.csv", {"state": "manufacturer_notified"})
    assert response["Content-Type"].startswith("text/csv")
    rows = csv_rows(response)
    assert [row["human_id"] for row in rows] == [disputed.human_id]
    assert rows[0]["disputed"] == "DISPUTED"
    assert rows[0]["title"].startswith("'=")  # a formula cell is neutralised
    outsider_rows = csv_rows(signed_in(cast.other_supplier).get("/issues/export.csv"))
    assert hidden.human_id not in {row["human_id"] for row in outsider_rows}
    assert outsider_rows == []


def test_it_renders_the_issue_page_with_sanitised_markdown(cast):
    issue = cast.published()
    text = page(signed_in(cast.other_supplier).get(f"/issues/{issue.human_id}/"))
    assert "<strong>North</strong>" in text
    assert "<script>" not in text
    assert "Evidence level" in text and "Root-cause status" in text
    assert "Acme E1" in text and "Known affected" in text
    assert "1,200" in text and "1200.0" not in text and "Fourteen" not in text
    assert "Approve and publish" in text  # the timeline names the step
    assert "Manufacturer notices" in text


def test_it_marks_disputed_withdrawn_and_rejected_issues(cast):
    disputed = cast.published()
    manufacturer_dispute(issue=disputed, actor=cast.manufacturer_user, rationale="We disagree.")
    withdrawn = cast.step(cast.published(), "withdraw", cast.admin_a, reason="Duplicate of another")
    rejected = cast.step(cast.draft(), "reject", cast.admin_a, reason="Not reproducible")
    client = signed_in(cast.dcc)
    assert "badge disputed" in page(client.get(f"/issues/{disputed.human_id}/"))
    withdrawn_page = page(client.get(f"/issues/{withdrawn.human_id}/"))
    assert "Withdrawn notice." in withdrawn_page and "Duplicate of another" in withdrawn_page
    rejected_page = page(client.get(f"/issues/{rejected.human_id}/"))
    assert "Rejected." in rejected_page and "Not reproducible" in rejected_page
    listing = page(client.get("/issues/"))
    assert listing.count("badge disputed") == 1 and listing.count("badge withdrawn") == 1


def test_it_answers_404_for_hidden_and_absent_issues(cast):
    draft = cast.draft()
    evidence = EvidenceFactory(issue=draft, organisation=cast.reporter.organisation)
    client = signed_in(cast.other_supplier)
    for url in (
        f"/issues/{draft.human_id}/",
        f"/issues/{draft.human_id}/edit/",
        f"/issues/{draft.human_id}/transition/submit_for_assessment/",
        f"/issues/{draft.human_id}/statements/new/",
        f"/issues/{draft.human_id}/response/",
        f"/issues/{draft.human_id}/evidence/{evidence.pk}/",
        "/issues/KIR-2026-9999/",
    ):
        assert client.get(url).status_code == 404, url


def test_it_reports_a_draft_with_its_products(cast):
    response = signed_in(cast.reporter).post("/issues/new/", issue_post(cast))
    issue = Issue.objects.get(title="Alerts repeat after power restoration")
    assert response.status_code == 302
    assert response["Location"] == f"/issues/{issue.human_id}/"
    assert issue.state == IssueState.DRAFT
    assert [p.device_version for p in issue.products.all()] == [cast.version]


def test_it_shows_every_field_error_on_the_report_form(cast):
    data = issue_post(cast, title="", **{"products-0-dmc": "999999"})
    response = signed_in(cast.reporter).post("/issues/new/", data)
    text = page(response)
    assert response.status_code == 422
    assert 'href="#id_title"' in text
    assert "Enter the title" in text
    assert "Product 1: That DMC is not in the catalogue: find and add it again" in text
    assert 'href="#product-row-1"' in text
    assert not Issue.objects.exists()


def test_it_refuses_the_report_form_to_viewers(cast):
    response = signed_in(cast.reporter_viewer).get("/issues/new/")
    assert response.status_code == 403
    assert "Your role may not report issues." in page(response)


def test_it_edits_an_issue_from_the_version_read(cast):
    issue = cast.draft()
    client = signed_in(cast.reporter)
    form = page(client.get(f"/issues/{issue.human_id}/edit/"))
    assert 'name="version" value="1"' in form
    data = issue_post(cast, title="Reworded title", version="1", **product_management(4, 1))
    response = client.post(f"/issues/{issue.human_id}/edit/", data)
    assert response.status_code == 302
    issue.refresh_from_db()
    assert issue.title == "Reworded title" and issue.version == 2


def test_it_shows_the_conflict_page_and_loses_nothing(cast):
    issue = cast.draft()
    first = issue_post(cast, title="First editor's title", version="1")
    second = issue_post(cast, title="Second editor's title", version="1")
    reporter, dcc = signed_in(cast.reporter), signed_in(cast.dcc)
    assert reporter.post(f"/issues/{issue.human_id}/edit/", first).status_code == 302
    response = dcc.post(f"/issues/{issue.human_id}/edit/", second)
    text = page(response)
    assert response.status_code == 409
    assert "First editor&#x27;s title" in text and "Second editor&#x27;s title" in text
    assert 'name="version" value="2"' in text  # resubmitting now targets the saved version
    issue.refresh_from_db()
    assert issue.title == "First editor's title" and issue.version == 2


def test_it_refuses_editing_to_those_the_workflow_does_not_allow(cast):
    issue = cast.draft()
    response = signed_in(cast.reporter_viewer).get(f"/issues/{issue.human_id}/edit/")
    assert response.status_code == 403


def test_it_offers_only_the_steps_the_user_may_take(cast):
    issue = cast.step(cast.draft(), "submit_for_assessment", cast.reporter)
    admin_page = page(signed_in(cast.admin_a).get(f"/issues/{issue.human_id}/"))
    reporter_page = page(signed_in(cast.reporter).get(f"/issues/{issue.human_id}/"))
    assert "/transition/notify_manufacturer/" in admin_page
    assert "/transition/reject/" in admin_page
    assert "/transition/" not in reporter_page
    url = f"/issues/{issue.human_id}/transition/notify_manufacturer/"
    refused = signed_in(cast.reporter).get(url)
    assert refused.status_code == 403
    assert "Notify manufacturer needs a SECAS administrator." in page(refused)


def test_it_takes_a_step_and_queues_the_notice(cast):
    issue = cast.step(cast.draft(), "submit_for_assessment", cast.reporter)
    url = f"/issues/{issue.human_id}/transition/notify_manufacturer/"
    client = signed_in(cast.admin_a)
    form = page(client.get(url))
    assert 'name="expected_version" value="2"' in form
    [previewed] = re.findall(r'name="previewed" value="([^"]+)"', form)
    response = client.post(
        url, {"reason": "Threshold met", "expected_version": "2", "previewed": previewed}
    )
    assert response.status_code == 302
    issue.refresh_from_db()
    assert issue.state == IssueState.MANUFACTURER_NOTIFIED
    [job] = Job.objects.filter(kind="email", key__startswith="manufacturer-notice.")
    assert job.payload["to"] == ["contact@acme-metering.example", "maker@example.org"]
    timeline = page(client.get(f"/issues/{issue.human_id}/"))
    assert "Notify manufacturer" in timeline and "Threshold met" in timeline


def test_it_lists_every_unmet_condition_of_a_refused_step(cast):
    issue = cast.notified(evidence_level="reported", impact_level="low")
    url = f"/issues/{issue.human_id}/transition/propose_publication/"
    response = signed_in(cast.admin_a).post(url, {"reason": "", "expected_version": issue.version})
    text = page(response)
    assert response.status_code == 422
    assert text.count("<li>") >= 3  # evidence, impact and the manufacturer's notice period
    assert 'aria-describedby="refusal"' in text
    assert "evidence" in text.lower() and "impact" in text.lower()


def test_it_refuses_a_step_taken_from_a_stale_version(cast):
    issue = cast.draft()
    url = f"/issues/{issue.human_id}/transition/submit_for_assessment/"
    cast.step(issue, "submit_for_assessment", cast.reporter)
    issue.refresh_from_db()
    response = signed_in(cast.reporter).post(url, {"reason": "", "expected_version": "1"})
    assert response.status_code == 403  # the step is no longer on offer from this state
    assert "not possible while the issue is under assessment" in page(response)
    response = signed_in(cast.admin_a).post(
        f"/issues/{issue.human_id}/transition/reject/", {"reason": "no", "expected_version": "1"}
    )
    assert response.status_code == 409
    assert "version 2" in page(response)
    assert 'name="expected_version" value="2"' in page(response)  # sending again targets it


def test_it_adds_statements_and_links_challenges(cast):
    issue = cast.published()
    root_cause = statement_add(
        issue=issue, actor=cast.manufacturer_user, kind="root_cause", text="A timer resets."
    )
    client = signed_in(cast.other_supplier)
    link = f"/issues/{issue.human_id}/statements/new/?kind=challenge&amp;challenges={root_cause.pk}"
    assert link in page(client.get(f"/issues/{issue.human_id}/"))
    form = page(client.get(link.replace("&amp;", "&")))
    assert 'value="challenge" selected' in form and 'value="manufacturer_response"' not in form
    assert f'value="{root_cause.pk}" selected' in form
    response = client.post(
        f"/issues/{issue.human_id}/statements/new/",
        {"kind": "challenge", "text": "Seen with the timer fix too.", "challenges": root_cause.pk},
    )
    assert response.status_code == 302
    challenge = Statement.objects.get(kind="challenge")
    assert challenge.challenges == root_cause
    text = page(client.get(f"/issues/{issue.human_id}/"))
    assert f'href="#statement-{root_cause.pk}"' in text and "Challenged by" in text


def test_it_marks_superseded_statements_with_what_replaced_them(cast):
    issue = cast.published()
    maker = cast.manufacturer_user
    first = statement_add(issue=issue, actor=maker, kind="root_cause", text="A timer resets.")
    later = statement_add(
        issue=issue, actor=maker, kind="correction", text="Two timers reset.", supersedes=first
    )
    text = page(signed_in(cast.other_supplier).get(f"/issues/{issue.human_id}/"))
    assert f'Superseded by <a href="#statement-{later.pk}">statement #2</a>' in text
    assert text.count('<span class="badge">Superseded</span>') == 1


def test_it_reports_why_a_statement_was_refused(cast):
    issue = cast.published()
    response = signed_in(cast.other_supplier).post(
        f"/issues/{issue.human_id}/statements/new/", {"kind": "challenge", "text": "No link."}
    )
    assert response.status_code == 422
    assert "A challenge names the statement it challenges." in page(response)


@pytest.mark.parametrize(
    ("refusal", "status", "shown"),
    [
        (
            PermissionRefused("Your role does not allow you to add statements."),
            403,
            ['id="refusal"', "Your role does not allow you to add statements."],
        ),
        (
            TransitionRefused(["Evidence is too weak.", "Impact is too low."]),
            422,
            ['id="refusal"', "<li>Evidence is too weak.</li>", "<li>Impact is too low.</li>"],
        ),
        (
            ValidationFailed({"text": ["Say what you saw."]}),
            422,
            ['href="#id_text"', "Say what you saw."],
        ),
        (
            VersionConflict,
            409,
            ["The issue changed while you were looking at it", "was changed by someone else"],
        ),
    ],
    ids=["permission", "transition", "invalid", "conflict"],
)
def test_it_shows_a_service_refusal_on_the_form_with_its_status(
    cast, monkeypatch, refusal, status, shown
):
    issue = cast.published()
    if refusal is VersionConflict:
        refusal = VersionConflict(issue)

    def refuse(**kwargs):
        raise refusal

    monkeypatch.setattr("kir.register.views.actions.statement_add", refuse)
    response = signed_in(cast.other_supplier).post(
        f"/issues/{issue.human_id}/statements/new/", {"kind": "observation", "text": "Seen."}
    )
    assert response.status_code == status
    for text in shown:
        assert text in page(response)


def banner(response) -> str:
    """The success banner's text on the page a redirect led to, or "" when there is none."""
    found = re.search(
        r'notification-banner--success".*?notification-banner__heading">([^<]*)<',
        page(response),
        re.DOTALL,
    )
    return found.group(1) if found else ""


def test_each_action_ends_on_the_issue_page_saying_what_happened(cast):
    reporter = signed_in(cast.reporter)
    created = reporter.post("/issues/new/", issue_post(cast), follow=True)
    issue = Issue.objects.get(title="Alerts repeat after power restoration")
    assert created.redirect_chain[-1][0] == f"/issues/{issue.human_id}/"
    assert banner(created).startswith(f"Draft {issue.human_id} is saved.")

    stated = reporter.post(
        f"/issues/{issue.human_id}/statements/new/",
        {"kind": "observation", "text": "Seen again."},
        follow=True,
    )
    assert stated.redirect_chain[-1][0] == f"/issues/{issue.human_id}/#statements-heading"
    assert banner(stated) == "Your observation statement is added."

    submitted = reporter.post(
        f"/issues/{issue.human_id}/transition/submit_for_assessment/",
        {"reason": "", "expected_version": Issue.objects.get(pk=issue.pk).version},
        follow=True,
    )
    assert banner(submitted) == (
        f"Submit for assessment: done. {issue.human_id} is under assessment."
    )
    # Shown once: the next page has no banner.
    assert banner(reporter.get(f"/issues/{issue.human_id}/")) == ""

    notified = cast.notified()
    maker = signed_in(cast.manufacturer_user)
    acknowledged = maker.post(
        f"/issues/{notified.human_id}/response/",
        {"response": "acknowledge", "rationale": ""},
        follow=True,
    )
    assert banner(acknowledged).startswith("Acknowledged.")


def test_it_takes_the_manufacturers_acknowledgement_and_dispute(cast):
    issue = cast.notified()
    client = signed_in(cast.manufacturer_user)
    assert "Respond as manufacturer" in page(client.get(f"/issues/{issue.human_id}/"))
    url = f"/issues/{issue.human_id}/response/"
    refused = client.post(url, {"response": "dispute", "rationale": ""})
    assert refused.status_code == 422 and 'href="#id_rationale"' in page(refused)
    acknowledged = client.post(url, {"response": "acknowledge", "rationale": ""})
    assert acknowledged["Location"] == f"/issues/{issue.human_id}/"
    assert client.post(url, {"response": "dispute", "rationale": "Not ours."}).status_code == 302
    issue.refresh_from_db()
    assert issue.root_cause_status == RootCauseStatus.DISPUTED
    assert signed_in(cast.reporter).get(url).status_code == 403


def test_it_runs_the_procurement_check_from_paste_and_the_catalogue(cast):
    issue = cast.published()
    client = signed_in(cast.other_supplier)
    assert client.get("/issues/procurement-check/").status_code == 200
    other = cast.other_version
    line = (
        f"{other.device_model.manufacturer.identifier}/{other.device_model.model_id}/"
        f"{other.firmware_version}"
    )
    found = page(
        client.post(
            "/issues/procurement-check/",
            {"pasted": "1A2B 00012345", "find": other.device_model.name, "action": "find"},
        )
    )
    assert f'name="add" value="{line}"' in found
    assert "Results" not in found  # a search checks nothing
    added = page(
        client.post(
            "/issues/procurement-check/",
            {"pasted": "1A2B 00012345", "find": other.device_model.name, "add": line},
        )
    )
    assert f"1A2B 00012345\n{line}</textarea>" in added
    response = client.post(
        "/issues/procurement-check/", {"pasted": f"1A2B 00012345\n{line}\nnonsense line"}
    )
    text = page(response)
    assert issue.human_id in text
    assert "nonsense line" in text and "were not understood" in text
    assert "No issue on the register touches this." in text
    empty = client.post("/issues/procurement-check/", {"pasted": ""})
    assert "Paste at least one identifier" in page(empty)


def test_the_catalogue_search_offers_dmcs_with_their_members_and_a_bounded_list(cast):
    from kir.catalogue.models import DMC

    members = [cast.version, cast.other_version]
    combination = DMC.objects.create(identifier="DMC-00000000C0DE", name="Hub pair")
    combination.members.set(members)
    for n in range(30):
        DeviceVersionFactory(device_model=cast.version.device_model, firmware_version=f"{n:08X}")
    client = signed_in(cast.other_supplier)

    found = page(
        client.post("/issues/procurement-check/", {"find": "DMC-00000000C0DE", "action": "find"})
    )
    many = page(
        client.post(
            "/issues/procurement-check/",
            {"find": cast.version.device_model.name, "action": "find"},
        )
    )

    assert 'name="add" value="DMC-00000000C0DE"' in found
    assert all(str(member) in found for member in members)
    model = cast.version.device_model
    prefix = f'name="add" value="{model.manufacturer.identifier}/{model.model_id}/'
    assert many.count(prefix) == 20  # of 31 versions: the first matches, never the whole CPL


def test_the_procurement_check_shows_the_newest_matches_and_offers_the_rest(cast, monkeypatch):
    monkeypatch.setattr("kir.register.views.procurement.PROCUREMENT_PAGE_SIZE", 1)
    older, newer = cast.published(), cast.published()
    client = signed_in(cast.other_supplier)

    shown = page(client.post("/issues/procurement-check/", {"pasted": "1A2B 00012345"}))
    everything = page(
        client.post("/issues/procurement-check/", {"pasted": "1A2B/00012345", "all": "1"})
    )

    assert newer.human_id in shown and older.human_id not in shown
    assert "Showing the newest 1 of 2 issues touching 1A2B/00012345" in shown
    assert 'name="pasted" value="1A2B/00012345"' in shown and "Show all 2" in shown
    assert newer.human_id in everything and older.human_id in everything
    assert "Show all" not in everything


def test_it_shows_the_policy_and_lets_administrators_issue_a_new_version(cast):
    viewer = signed_in(cast.other_supplier)
    text = page(viewer.get("/issues/policy/"))
    assert "In force: version 1" in text and "Issue a new version" not in text
    assert viewer.post("/issues/policy/", {}).status_code == 403
    admin = signed_in(cast.admin_a)
    response = admin.post(
        "/issues/policy/",
        {
            "minimum_evidence_level": "established",
            "minimum_impact_level": "high",
            "notice_period_business_days": "15",
            "second_approver_required": "on",
            "minimum_tracker_grade": "established",
        },
    )
    assert response.status_code == 302
    assert ThresholdPolicy.objects.get(in_force=True).version == 2
    shown = page(admin.get("/issues/policy/"))
    assert "In force: version 2" in shown
    assert "Minimum tracker grade</dt><dd>Established" in shown
    bad = admin.post("/issues/policy/", {"minimum_evidence_level": "bogus"})
    assert bad.status_code == 422 and "id_minimum_evidence_level" in page(bad)


def test_it_serves_evidence_only_to_those_who_may_see_it(cast, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    issue = cast.published()
    public = EvidenceFactory(issue=issue, organisation=cast.reporter.organisation)
    private = EvidenceFactory(
        issue=issue, organisation=cast.reporter.organisation, installation_level=True
    )
    outsider, reporter = signed_in(cast.other_supplier), signed_in(cast.reporter)
    response = outsider.get(f"/issues/{issue.human_id}/evidence/{public.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"region,alerts")
    assert outsider.get(f"/issues/{issue.human_id}/evidence/{private.pk}/").status_code == 404
    assert reporter.get(f"/issues/{issue.human_id}/evidence/{private.pk}/").status_code == 200
    assert "installation-level" not in page(outsider.get(f"/issues/{issue.human_id}/"))


def test_it_lets_secas_administrators_override_flagged_wording(cast):
    issue = cast.draft(description="The meter is defective after the update.")
    issue = cast.step(issue, "submit_for_assessment", cast.reporter)
    admin = signed_in(cast.admin_a)
    assert "Review flagged wording" in page(admin.get(f"/issues/{issue.human_id}/"))
    url = f"/issues/{issue.human_id}/language/"
    form = page(admin.get(url))
    assert "description|defective" in form and "Description" in form
    missing = admin.post(url, {"hit": "description|defective", "justification": ""})
    assert missing.status_code == 422 and 'href="#id_justification"' in page(missing)
    response = admin.post(
        url, {"hit": "description|defective", "justification": "Quoted from a lab report."}
    )
    assert response.status_code == 302
    override = LanguageOverride.objects.get(issue=issue)
    assert (override.field, override.phrase, override.actor) == (
        "description",
        "defective",
        cast.admin_a,
    )
    assert "Review flagged wording" not in page(admin.get(f"/issues/{issue.human_id}/"))
    assert signed_in(cast.dcc).get(url).status_code == 403


def test_it_lets_an_administrator_keep_flagged_wording_on_a_published_issue(cast):
    issue = cast.published()
    url = f"/issues/{issue.human_id}/edit/"
    data = issue_post(cast, summary="The unit is faulty in the field.", version=str(issue.version))
    data.update(product_management(4, 1))
    dcc = signed_in(cast.dcc)
    assert "language_justification" not in page(dcc.get(url))
    refused = dcc.post(url, data)
    assert refused.status_code == 422 and "faulty" in page(refused)
    admin = signed_in(cast.admin_a)
    justified = admin.post(url, {**data, "language_justification": "The maker's own words."})
    assert justified.status_code == 302
    issue.refresh_from_db()
    assert issue.summary == "The unit is faulty in the field."
    assert LanguageOverride.objects.filter(issue=issue, phrase="faulty").exists()


def test_it_uploads_evidence_and_keeps_installation_level_files_private(cast, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    issue = cast.published()
    url = f"/issues/{issue.human_id}/evidence/new/"
    reporter = signed_in(cast.reporter)
    assert "Add evidence" in page(reporter.get(f"/issues/{issue.human_id}/"))
    upload = SimpleUploadedFile("devices.csv", b"device_id\n00-DB-12-34-56-78-90-A0\n")
    response = reporter.post(
        url, {"file": upload, "description": "Affected devices", "installation_level": "on"}
    )
    assert response.status_code == 302
    assert "Affected devices" in page(reporter.get(f"/issues/{issue.human_id}/"))
    assert "Affected devices" not in page(signed_in(cast.other_supplier).get(response["Location"]))
    missing = reporter.post(url, {"description": "No file"})
    assert missing.status_code == 422 and 'href="#id_file"' in page(missing)
    assert signed_in(cast.reporter_viewer).get(url).status_code == 403


def offered_steps(text: str) -> list[str]:
    actions = text.split('id="actions-heading"', 1)[1].split("</ul>", 1)[0]
    return re.findall(r'class="button" href="[^"]*/transition/[^"]*">([^<]+)<', actions)


def test_the_issue_page_offers_only_the_steps_that_fit_the_state_and_the_user(cast):
    from kir.register.services import manufacturer_acknowledge

    issue = cast.notified()
    url = f"/issues/{issue.human_id}/"
    admin_a, admin_b = signed_in(cast.admin_a), signed_in(cast.admin_b)

    unanswered = page(admin_a.get(url))
    assert offered_steps(unanswered) == ["Return to assessment"]
    assert "<strong>Propose publication</strong>: " in unanswered  # with what it still needs
    manufacturer_acknowledge(issue=issue, actor=cast.manufacturer_user)

    before = page(admin_a.get(url))
    assert offered_steps(before) == ["Return to assessment", "Propose publication"]
    assert "Cancel publication proposal" not in before  # nothing proposed yet

    admin_a.post(
        f"{url}transition/propose_publication/",
        {"reason": "", "expected_version": Issue.objects.get(pk=issue.pk).version},
    )
    proposer, other = page(admin_a.get(url)), page(admin_b.get(url))
    assert offered_steps(proposer) == ["Cancel publication proposal"]
    assert "<strong>Approve and publish</strong>: " in proposer
    assert "cannot also approve it" in proposer
    assert offered_steps(other) == ["Cancel publication proposal", "Approve and publish"]


def test_the_issue_page_says_who_may_take_a_step_the_user_cannot(cast):
    from kir.accounts.models import Role
    from tests.factories import UserFactory

    issue = cast.step(cast.draft(), "submit_for_assessment", cast.reporter)
    coordinator = UserFactory(organisation=cast.admin_a.organisation, role=Role.COORDINATOR)
    text = page(signed_in(coordinator).get(f"/issues/{issue.human_id}/"))
    assert offered_steps(text) == []
    assert "<strong>Notify manufacturer</strong>: Needs a SECAS administrator." in text
    assert "<strong>Reject</strong>: Needs a SECAS administrator." in text


def test_the_issue_page_checks_each_precondition_once(cast, monkeypatch):
    """Cancel and Approve both need a pending proposal; the page asks once for both."""
    from kir.register.services import transitions

    issue = cast.notified()
    calls: list[str] = []
    real = transitions.CHECKS["pending_proposal"]

    def counted(issue, actor):
        calls.append("pending_proposal")
        return real(issue, actor)

    monkeypatch.setitem(transitions.CHECKS, "pending_proposal", counted)
    text = page(signed_in(cast.admin_a).get(f"/issues/{issue.human_id}/"))
    assert offered_steps(text) == ["Return to assessment"]
    assert calls == ["pending_proposal"]


def test_adding_a_line_already_pasted_keeps_it_once(cast):
    client = signed_in(cast.other_supplier)
    added = page(
        client.post(
            "/issues/procurement-check/",
            {"pasted": "1A2B/00012345\n\n", "find": "x", "add": " 1A2B/00012345 "},
        )
    )
    pasted = re.search(r'<textarea name="pasted"[^>]*>(.*?)</textarea>', added, re.DOTALL)
    assert pasted, added
    assert pasted.group(1).split() == ["1A2B/00012345"]


def test_the_statement_form_offers_to_supersede_only_what_the_user_may(cast):
    issue = cast.published()
    mine = statement_add(issue=issue, actor=cast.reporter, kind="observation", text="Seen.")
    theirs = statement_add(issue=issue, actor=cast.other_supplier, kind="observation", text="Too.")
    newer = statement_add(
        issue=issue, actor=cast.reporter, kind="observation", text="Seen again.", supersedes=mine
    )
    text = page(signed_in(cast.reporter).get(f"/issues/{issue.human_id}/statements/new/"))
    offered = text.split('name="supersedes"')[1].split("</select>")[0]
    challengeable = text.split('name="challenges"')[1].split("</select>")[0]
    assert f'value="{newer.pk}"' in offered
    assert f'value="{mine.pk}"' not in offered  # already superseded
    assert f'value="{theirs.pk}"' not in offered  # another organisation's
    assert f'value="{theirs.pk}"' in challengeable and f'value="{mine.pk}"' in challengeable
    admin = page(signed_in(cast.admin_a).get(f"/issues/{issue.human_id}/statements/new/"))
    assert f'value="{theirs.pk}"' in admin.split('name="supersedes"')[1].split("</select>")[0]
