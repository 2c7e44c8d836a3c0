"""The approve-publication and notify-manufacturer pages: what they show before the button, for
each role that reaches them; refusals, with who can, for the rest; the recorded snapshot and
the sent notice equal to what was previewed; and a refusal when it changed in between."""

from __future__ import annotations

import html
import re

import pytest

from kir.accounts.models import Role
from kir.outbox.models import Job
from kir.register.errors import PreviewOutdated
from kir.register.models import Issue, IssueState, ManufacturerNotice, Publication
from kir.register.services import issue_transition, manufacturer_acknowledge, statement_add
from kir.register.services.previews import step_preview
from tests.clients import signed_in
from tests.factories import EvidenceFactory, UserFactory
from tests.register.ui_cast import UiCast, make_ui_cast

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast() -> UiCast:
    return make_ui_cast()


def text_of(response) -> str:
    return html.unescape(response.content.decode())


def previewed_value(response) -> str:
    [value] = re.findall(r'name="previewed" value="([^"]+)"', response.content.decode())
    return value


def proposed(cast: UiCast) -> Issue:
    issue = cast.notified()
    manufacturer_acknowledge(issue=issue, actor=cast.manufacturer_user)
    return cast.step(issue, "propose_publication", cast.admin_a)


def approve_url(issue: Issue) -> str:
    return f"/issues/{issue.human_id}/transition/publish/"


def notify_url(issue: Issue) -> str:
    return f"/issues/{issue.human_id}/transition/notify_manufacturer/"


def test_it_shows_the_second_administrator_the_checklist_and_snapshot(cast, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    issue = proposed(cast)
    EvidenceFactory(
        issue=issue, description="Alert log, 14 days", organisation=cast.admin_a.organisation
    )
    response = signed_in(cast.admin_b).get(approve_url(issue))
    text = text_of(response)
    assert response.status_code == 200
    assert "Threshold checklist" in text
    assert "Evidence level at least corroborated" in text and "Corroborated" in text
    assert "Acme Metering: responded" in text
    assert "Proposed by another administrator; you would approve it" in text
    assert text.count('class="met">Met</strong>') == 5 and "Not met" not in text
    assert "Evidence and impact to be recorded" in text
    assert (
        "<dd>1,200</dd>" in text
        and "<dd>340</dd>" in text
        and "Measured over 14 days in CSP North." in text
    )
    assert "Alert log, 14 days (from SECAS)" in text
    assert f"Issue version approved</dt><dd>{issue.version}" in text
    assert previewed_value(response) == step_preview("publish", issue, cast.admin_b).fingerprint
    assert '<button type="submit">Approve and publish</button>' in text


def test_the_proposer_sees_why_not_and_no_button(cast):
    issue = proposed(cast)
    text = text_of(signed_in(cast.admin_a).get(approve_url(issue)))
    assert "Approve and publish is not possible yet" in text
    assert "cannot also approve it; a different administrator must approve." in text
    assert "You proposed it" in text and "Not met" in text
    assert '<button type="submit">Approve and publish</button>' not in text


@pytest.mark.parametrize("who", ["reporter", "manufacturer_user", "dcc", "secas_coordinator"])
def test_it_refuses_the_approve_page_to_others_saying_who_can(cast, who):
    issue = proposed(cast)
    if who == "secas_coordinator":
        user = UserFactory(organisation=cast.admin_a.organisation, role=Role.COORDINATOR)
    else:
        user = getattr(cast, who)
    response = signed_in(user).get(approve_url(issue))
    text = text_of(response)
    assert response.status_code == 403
    assert "Approve and publish needs a SECAS administrator." in text
    assert "Threshold checklist" not in text and "previewed" not in text


def test_it_hides_the_page_from_those_who_cannot_see_the_issue(cast):
    issue = proposed(cast)
    assert signed_in(cast.other_supplier).get(approve_url(issue)).status_code == 404


def test_the_recorded_snapshot_is_the_one_previewed(cast):
    issue = proposed(cast)
    statement_add(issue=issue, actor=cast.manufacturer_user, kind="root_cause", text="A timer.")
    client = signed_in(cast.admin_b)
    shown = client.get(approve_url(issue))
    preview = step_preview("publish", Issue.objects.get(pk=issue.pk), cast.admin_b)
    assert preview is not None and preview.snapshot is not None
    assert "#1 Root cause by Acme Metering" in text_of(shown)
    response = client.post(
        approve_url(issue),
        {"reason": "", "expected_version": issue.version, "previewed": previewed_value(shown)},
    )
    assert response.status_code == 302
    record = Publication.objects.get(issue=issue, status="approved")
    assert record.snapshot == preview.snapshot
    assert record.snapshot["issue_version"] == issue.version  # the version the approver read


def test_it_refuses_the_approval_when_the_evidence_changed_after_the_preview(cast):
    issue = proposed(cast)
    client = signed_in(cast.admin_b)
    shown = client.get(approve_url(issue))
    statement_add(issue=issue, actor=cast.manufacturer_user, kind="root_cause", text="Later.")
    form = {"reason": "", "expected_version": issue.version, "previewed": previewed_value(shown)}
    response = client.post(approve_url(issue), form)
    text = text_of(response)
    assert response.status_code == 409
    assert "What this page showed has changed" in text
    assert "the evidence and impact to be recorded changed" in text
    assert "the threshold checklist" not in text.split("changed. Nothing")[0]
    assert Issue.objects.get(pk=issue.pk).state == IssueState.MANUFACTURER_NOTIFIED
    assert "#1 Root cause by Acme Metering" in text  # the page now shows what would be recorded
    again = client.post(approve_url(issue), {**form, "previewed": previewed_value(response)})
    assert again.status_code == 302
    assert Issue.objects.get(pk=issue.pk).state == IssueState.PUBLISHED


def test_a_form_without_the_preview_is_sent_back(cast):
    issue = proposed(cast)
    response = signed_in(cast.admin_b).post(
        approve_url(issue), {"reason": "", "expected_version": issue.version}
    )
    assert response.status_code == 422
    assert "Open this step&#x27;s page again" in response.content.decode()
    assert Issue.objects.get(pk=issue.pk).state == IssueState.MANUFACTURER_NOTIFIED


def test_the_service_refuses_a_fingerprint_that_no_longer_matches(cast):
    issue = proposed(cast)
    with pytest.raises(PreviewOutdated) as refusal:
        issue_transition(
            issue=issue,
            actor=cast.admin_b,
            transition="publish",
            expected_version=issue.version,
            previewed="checklist-0.snapshot-0.notices-0",
        )
    assert refusal.value.sections == [
        "the threshold checklist",
        "the evidence and impact to be recorded",
        "the notice text or its recipients",
    ]
    assert not Publication.objects.filter(issue=issue, status="approved").exists()


def submitted(cast: UiCast) -> Issue:
    return cast.step(cast.draft(), "submit_for_assessment", cast.reporter)


def test_the_notify_page_previews_the_notice_and_its_recipients(cast):
    issue = submitted(cast)
    response = signed_in(cast.admin_a).get(notify_url(issue))
    text = text_of(response)
    assert response.status_code == 200
    assert "Notice to Acme Metering" in text
    assert "maker (Acme Metering): maker@example.org" in text
    assert "Acme Metering (organisation contact address): contact@acme-metering.example" in text
    assert "Devices from Acme Meters are among those named" in text
    assert "Acme Metering: not notified" in text  # the checklist says where it stands
    assert '<button type="submit">Notify manufacturer</button>' in text


def test_the_sent_notice_is_the_one_previewed(cast):
    issue = submitted(cast)
    client = signed_in(cast.admin_a)
    shown = client.get(notify_url(issue))
    preview = step_preview("notify_manufacturer", issue, cast.admin_a)
    assert preview is not None
    [draft] = preview.notices
    assert draft.text in text_of(shown)
    response = client.post(
        notify_url(issue),
        {
            "reason": "Threshold met",
            "expected_version": issue.version,
            "previewed": previewed_value(shown),
        },
    )
    assert response.status_code == 302
    notice = ManufacturerNotice.objects.get(issue=issue)
    assert (notice.subject, notice.body, notice.recipients) == (
        draft.subject,
        draft.text,
        draft.addresses,
    )
    assert notice.respond_by == draft.respond_by
    [job] = Job.objects.filter(kind="email", key=f"manufacturer-notice.{notice.pk}")
    assert job.payload["to"] == draft.addresses
    assert job.payload["text"] == draft.text


def test_it_refuses_to_notify_when_the_recipients_changed_after_the_preview(cast):
    issue = submitted(cast)
    client = signed_in(cast.admin_a)
    shown = client.get(notify_url(issue))
    UserFactory(username="late", email="late@example.org", organisation=cast.manufacturer_org)
    response = client.post(
        notify_url(issue),
        {"reason": "ok", "expected_version": issue.version, "previewed": previewed_value(shown)},
    )
    text = text_of(response)
    assert response.status_code == 409
    assert "the notice text or its recipients changed" in text
    assert "late@example.org" in text
    assert not ManufacturerNotice.objects.filter(issue=issue).exists()


@pytest.mark.parametrize("who", ["reporter", "dcc"])
def test_it_refuses_the_notify_page_to_others_saying_who_can(cast, who):
    issue = submitted(cast)
    response = signed_in(getattr(cast, who)).get(notify_url(issue))
    assert response.status_code == 403
    assert "Notify manufacturer needs a SECAS administrator." in text_of(response)
    assert "Notice to Acme Metering" not in text_of(response)


def test_the_manufacturer_does_not_see_the_issue_before_its_notice(cast):
    issue = submitted(cast)
    assert signed_in(cast.manufacturer_user).get(notify_url(issue)).status_code == 404


def test_a_step_from_another_state_is_refused_in_words(cast):
    issue = cast.draft()
    response = signed_in(cast.admin_a).get(notify_url(issue))
    assert response.status_code == 403
    assert "Notify manufacturer is not possible while the issue is draft." in text_of(response)
