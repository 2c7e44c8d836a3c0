"""E-mail through the outbox, delivered by the worker to a real SMTP server on loopback."""

from __future__ import annotations

import pytest

from kir.outbox.mail import email_enqueue, message_id
from kir.outbox.models import Job, JobState
from kir.outbox.worker import deliver_due
from tests.mailserver import free_port

pytestmark = pytest.mark.django_db


def _queue(key: str = "notice.7") -> Job | None:
    return email_enqueue(
        key=key,
        subject="A subject",
        text="Plain text body",
        html="<p>HTML body</p>",
        to=["b@example.org", "a@example.org", "a@example.org"],
    )


def test_it_sends_text_and_html_with_a_message_id_from_the_key(smtp_server, settings):
    settings.DEFAULT_FROM_EMAIL = "register@kir.example"
    _queue()
    assert deliver_due() == 1
    [mail] = smtp_server.wait_for(1)
    assert sorted(mail.recipients) == ["a@example.org", "b@example.org"]
    assert mail.subject == "A subject"
    assert mail.body.strip() == "Plain text body"
    assert "<p>HTML body</p>" in mail.html
    assert mail.message_id == "<notice.7@kir.example>" == message_id("notice.7")
    assert mail.message["from"] == "register@kir.example"


def test_it_makes_a_message_id_of_any_key(settings):
    settings.DEFAULT_FROM_EMAIL = "register@kir.example"
    assert message_id("issue:KIR-1 / user 3") == "<issue.KIR-1./.user.3@kir.example>"


def test_it_queues_nothing_without_a_recipient():
    assert email_enqueue(key="k", subject="s", text="t", to=[]) is None
    assert not Job.objects.exists()


def test_it_retries_while_the_mail_server_is_down(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nothing listens
    job = _queue()
    assert deliver_due() == 0
    job.refresh_from_db()
    assert job.state == JobState.PENDING and job.attempts == 1
    assert "ConnectionRefusedError" in job.last_error


class RefusingSink:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        return "550 No such mailbox"


def test_it_fails_at_once_when_every_recipient_is_refused(settings):
    from aiosmtpd.controller import Controller

    port = free_port()
    controller = Controller(RefusingSink(), hostname="127.0.0.1", port=port, ready_timeout=10)
    controller.start()
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        job = _queue()
        deliver_due()
    finally:
        controller.stop()
    job.refresh_from_db()
    assert job.state == JobState.FAILED and job.attempts == 1
    assert "every recipient refused" in job.last_error and "550" in job.last_error


def _run_claimed() -> list[bool]:
    from kir.outbox.worker import claim, run

    return [run(job) for job in claim(worker="t", batch=10, lease_seconds=60)]


def test_it_keeps_one_smtp_connection_for_a_batch_and_closes_it_when_idle(smtp_server):
    from kir.outbox import mail
    from kir.outbox.worker import idle

    for n in range(3):
        _queue(f"batch.{n}")
    first = _run_claimed()
    connection = mail._open.connection
    assert first == [True, True, True] and connection is not None
    assert connection.connection is not None  # still open after the batch
    idle()
    assert mail._open.connection is None and connection.connection is None
    assert len(smtp_server.wait_for(3)) == 3


def test_it_opens_again_a_connection_the_server_dropped(smtp_server):
    from kir.outbox import mail
    from kir.outbox.worker import idle

    _queue("before")
    assert _run_claimed() == [True]
    mail._open.connection.connection.sock.close()  # the server went away meanwhile
    _queue("after")
    assert _run_claimed() == [True]
    idle()
    assert {m.message_id for m in smtp_server.wait_for(2)} == {
        message_id("before"),
        message_id("after"),
    }
