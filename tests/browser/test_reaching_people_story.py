"""Issue 11's story in Chromium: SECAS sends the 3(a) reminder bulletin; a supplier reads it,
follows a manufacturer and adds a webhook endpoint; an issue about that manufacturer is
published; the supplier's notice arrives by e-mail (a real SMTP server), in the app, and as a
signed `issue.published` at its webhook receiver (a real HTTP server verifying the signature
with `standardwebhooks`). The worker beside the live server delivers everything."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Page, expect

from kir.accounts.models import Role
from kir.register.services import manufacturer_acknowledge
from tests.browser.test_seed_story import open_issue, sign_in, take_step
from tests.factories import UserFactory
from tests.notify.webhook_receiver import Receiver, running_receiver
from tests.register.ui_cast import make_ui_cast

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WAIT_SECONDS = 30
REMINDER = (
    "Before you buy or install, **ask your device suppliers** whether anything is known about "
    "the models, firmware and DMCs you are offered, and check the register."
)


@pytest.fixture
def receiver():
    with running_receiver() as running:
        yield running


def send_reminder(page: Page) -> None:
    page.goto("/notifications/bulletins/new/")
    page.get_by_label("Subject").fill("Ask your device suppliers about known issues")
    page.get_by_label("Text (Markdown)").fill(REMINDER)
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#bulletin-preview strong")).to_have_text("ask your device suppliers")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Draft, not sent")).to_be_visible()
    page.get_by_role("button", name="Send the bulletin").click()
    expect(page.locator("#bulletin-recipients")).to_contain_text("southern-admin")


def read_and_follow(page: Page, manufacturer_pk: int) -> None:
    page.goto("/notifications/")
    page.get_by_role("link", name="Ask your device suppliers about known issues").click()
    expect(page.locator("#bulletin-body")).to_contain_text("ask your device suppliers")
    page.goto("/notifications/subscriptions/")
    page.locator("#value-manufacturer").select_option(str(manufacturer_pk))
    page.get_by_role("button", name="Follow this manufacturer").click()
    expect(page.locator("#subscriptions")).to_contain_text("Acme Meters (1A2B)")
    page.locator("#publications").select_option("subscribed")
    page.get_by_role("button", name="Save e-mail choices").click()
    expect(page.locator("#publications")).to_have_value("subscribed")


def add_webhook(page: Page, receiver: Receiver) -> None:
    page.goto("/webhooks/")
    page.get_by_label("Receiver URL").fill(receiver.url)
    page.get_by_label("issue.published", exact=False).check()
    page.get_by_role("button", name="Add endpoint").click()
    secret = page.locator("#webhook-secret").input_value()
    assert secret.startswith("whsec_")
    receiver.secrets.append(secret)


def wait_until(condition, what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        assert time.monotonic() < deadline, f"no {what} within {WAIT_SECONDS}s"
        time.sleep(0.1)


def test_reminder_subscription_and_publication_reach_the_supplier(
    new_page, smtp_server, outbox_worker, receiver, register_reference_data
):
    cast = make_ui_cast()
    supplier = UserFactory(
        username="southern-admin",
        organisation=cast.other_supplier.organisation,
        role=Role.ADMINISTRATOR,
    )
    secas = new_page()
    sign_in(secas, cast.admin_a.username)
    send_reminder(secas)
    wait_until(
        lambda: any(supplier.email in m.recipients for m in smtp_server.received),
        "bulletin e-mail to the supplier",
    )
    bulletin_mail = next(m for m in smtp_server.received if supplier.email in m.recipients)
    assert "ask your device suppliers" in bulletin_mail.body
    assert bulletin_mail.message["List-Unsubscribe"]  # not a statutory notice

    reader = new_page()
    sign_in(reader, supplier.username)
    manufacturer = cast.version.device_model.manufacturer
    read_and_follow(reader, manufacturer.pk)
    add_webhook(reader, receiver)

    issue = cast.notified(title="Display freezes after a firmware update")
    manufacturer_acknowledge(issue=issue, actor=cast.manufacturer_user)
    cast.step(issue, "propose_publication", cast.admin_a)
    approver = new_page()
    sign_in(approver, cast.admin_b.username)
    open_issue(approver, issue.human_id)
    take_step(approver, "Approve and publish")
    expect(approver.locator("dl.facts").first).to_contain_text("Published")

    wait_until(
        lambda: any(
            supplier.email in m.recipients and issue.human_id in m.subject
            for m in smtp_server.received
        ),
        "publication e-mail to the supplier",
    )
    [delivery] = receiver.wait_for(1, timeout=WAIT_SECONDS)
    assert delivery.verified_with == receiver.secrets[0]
    assert delivery.payload["type"] == "issue.published"
    assert delivery.payload["data"]["issue"]["human_id"] == issue.human_id

    reader.goto("/notifications/")
    expect(reader.get_by_role("link", name=issue.human_id, exact=False)).to_be_visible()
    reader.get_by_role("link", name=issue.human_id, exact=False).first.click()
    expect(reader.get_by_role("heading", level=1)).to_contain_text(issue.human_id)
    reader.goto("/webhooks/")
    reader.get_by_role("link", name=receiver.url).click()
    expect(reader.get_by_role("table")).to_contain_text("issue.published")
    expect(reader.get_by_role("table")).to_contain_text("200")
