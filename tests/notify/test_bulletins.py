"""Bulletins: SECAS composes in Markdown, previews, sends to all Parties or chosen categories;
the recipients are recorded with the audit event and the worker delivers them."""

from __future__ import annotations

import pytest
from django.test import Client

from kir.accounts.models import PartyCategory
from kir.audit.models import AuditEvent
from kir.notify.models import Bulletin, BulletinRecipient, MailPreferences, Notification
from kir.outbox.worker import deliver_due
from kir.register.models import ProhibitedPhrase
from tests.register.services.conftest import build_world

pytestmark = pytest.mark.django_db
REMINDER = (
    "Please **ask your device suppliers** about known issues before you buy.\n\n"
    "<script>alert(1)</script>"
)


@pytest.fixture
def world(settings):
    settings.SITE_URL = "https://kir.example"
    return build_world()


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _compose(client: Client, action: str = "save", **fields: object):
    data = {"subject": "Ask your suppliers", "body": REMINDER, "action": action, **fields}
    return client.post("/notifications/bulletins/new/", data)


def test_it_previews_the_markdown_sanitised_without_saving(world):
    page = _compose(_client(world.admin), action="preview").content.decode()
    assert "<strong>ask your device suppliers</strong>" in page
    assert "<script>alert(1)</script>" not in page
    assert not Bulletin.objects.exists()


def test_it_sends_to_every_party_and_records_the_recipients(world, smtp_server):
    MailPreferences.objects.create(user=world.users["reporter_viewer"], bulletins=False)
    client = _client(world.admin)
    response = _compose(client)
    bulletin = Bulletin.objects.get()
    assert response.status_code == 302 and bulletin.sent_at is None
    draft = client.get(f"/notifications/bulletins/{bulletin.pk}/").content.decode()
    assert f"Sending tells {len(world.users)} users" in draft
    client.post(f"/notifications/bulletins/{bulletin.pk}/")
    recipients = BulletinRecipient.objects.filter(bulletin=bulletin)
    assert recipients.count() == len(world.users)
    assert recipients.get(user=world.users["reporter_viewer"]).email == ""  # app only
    event = AuditEvent.objects.get(verb="notify.bulletin_sent")
    assert event.data["recipients"] == len(world.users)
    assert event.data["emails"] == len(world.users) - 1

    deliver_due()
    mailed = {m.recipients[0]: m for m in smtp_server.received if "Ask your" in m.subject}
    assert len(mailed) == len(world.users) - 1
    mail = mailed[world.users["dcc_contributor"].email]
    assert "<strong>ask your device suppliers</strong>" in mail.html
    assert "<script>" not in mail.html
    assert str(mail.message["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
    assert f"https://kir.example/notifications/bulletins/{bulletin.pk}/" in mail.body
    assert Notification.objects.filter(key=f"bulletin.{bulletin.pk}").count() == len(world.users)
    page = _client(world.users["dcc_contributor"]).get("/notifications/bulletins/").content
    assert b"Ask your suppliers" in page


def test_it_sends_to_the_chosen_categories_only(world, smtp_server):
    client = _client(world.admin)
    _compose(client, categories=[PartyCategory.SMALL_SUPPLIER])
    bulletin = Bulletin.objects.get()
    client.post(f"/notifications/bulletins/{bulletin.pk}/")
    told = set(bulletin.recipients.values_list("user__username", flat=True))
    assert told == {"w-other_supplier_contributor"}
    outsider = _client(world.users["dcc_contributor"])
    assert outsider.get(f"/notifications/bulletins/{bulletin.pk}/").status_code == 404


def test_it_goes_once(world):
    client = _client(world.admin)
    _compose(client)
    bulletin = Bulletin.objects.get()
    client.post(f"/notifications/bulletins/{bulletin.pk}/")
    again = client.post(f"/notifications/bulletins/{bulletin.pk}/")
    assert again.status_code == 400 and b"already been sent" in again.content
    assert bulletin.recipients.count() == len(world.users)


def test_only_secas_administrators_compose(world):
    assert _compose(_client(world.users["dcc_coordinator"])).status_code == 403
    assert _compose(_client(world.users["secas_coordinator"])).status_code == 403
    assert not Bulletin.objects.exists()


def test_it_refuses_a_bulletin_that_fails_the_neutral_language_check(world):
    ProhibitedPhrase.objects.get_or_create(phrase="non-compliant", defaults={"active": True})
    response = _compose(_client(world.admin), body="Some meters are non-compliant.")
    assert response.status_code == 400
    assert "non-compliant" in response.content.decode()
    assert not Bulletin.objects.exists()


def test_it_starts_the_3a_reminder_from_its_text_which_passes_the_language_check(world):
    from kir.notify.bulletin_views import REMINDER_SUBJECT, reminder_text
    from kir.register.language import check_texts
    from kir.register.services.language import active_phrases

    client = _client(world.admin)
    page = client.get("/notifications/bulletins/new/?start=reminder").content.decode()
    assert REMINDER_SUBJECT in page and "ask its device suppliers about known issues" in page
    assert not check_texts({"body": reminder_text()}, active_phrases())
    response = _compose(client, subject=REMINDER_SUBJECT, body=reminder_text())
    assert response.status_code == 302 and Bulletin.objects.get().subject == REMINDER_SUBJECT
