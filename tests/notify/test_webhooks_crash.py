"""Crash test with real processes: `kill -9` a `kir worker` while the receiver holds the
connection of one webhook in a batch; a new worker finishes the batch. Every event arrives at
least once, verified; the only repeat is the one in flight, with the same `webhook-id`, so the
receiver drops it. Runs on whichever database the suite runs on (SQLite, then PostgreSQL)."""

from __future__ import annotations

import pytest

from kir.notify.webhooks.events import webhook_events_enqueue
from kir.notify.webhooks.models import WebhookDelivery
from kir.outbox.models import Job, JobState
from tests.notify.webhooks_world import expand_events, subscribe
from tests.outbox.processes import Children
from tests.register.services.conftest import build_world

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
WAIT_SECONDS = 90


@pytest.fixture
def children(tmp_path, monkeypatch):
    monkeypatch.setenv("KIR_WEBHOOK_ALLOW_LOOPBACK", "1")  # the children's settings read it
    started = Children(tmp_path, None)
    yield started
    started.stop_all()


def test_a_worker_killed_mid_batch_loses_no_webhook(receiver, children):
    subscribe(build_world(), "other_supplier", receiver)
    for n in range(6):
        webhook_events_enqueue(event="tracker.edition_published", data={"edition": n})
    keys = [job.key for job in expand_events()]
    receiver.hold(2)
    first = children.worker("worker-a", "--batch", "6", "--lease", "4")
    held = receiver.wait_held(timeout=WAIT_SECONDS)
    first.kill9()
    assert [d.webhook_id for d in receiver.received] == keys[:2]
    assert held.webhook_id == keys[1]
    in_flight = Job.objects.get(key=keys[1])
    assert (in_flight.state, in_flight.worker) == (JobState.PENDING, "worker-a")
    receiver.release()  # answers a connection nobody holds any more

    second = children.worker("worker-b", "--drain", "--poll", "0.2")
    assert second.wait(WAIT_SECONDS) == 0, second.output
    ids = [d.webhook_id for d in receiver.received]
    assert sorted(ids) == sorted([*keys, keys[1]])  # each at least once; one repeat
    assert list(receiver.unique()) == keys  # what a receiver dropping repeats by id keeps
    assert all(d.verified_with for d in receiver.received)
    editions = [receiver.unique()[key].payload["data"]["edition"] for key in keys]
    assert editions == list(range(6))
    assert set(Job.objects.values_list("state", flat=True)) == {JobState.DONE}
    finished = {job.key: job for job in Job.objects.filter(kind="webhook")}
    assert (finished[keys[0]].worker, finished[keys[0]].attempts) == ("worker-a", 1)
    for key in keys[1:]:
        assert (finished[key].worker, finished[key].attempts) == ("worker-b", 2)
    # The dead worker never logged its held attempt; the log has one 200 per event.
    assert sorted(WebhookDelivery.objects.values_list("webhook_id", "status_code")) == sorted(
        (key, 200) for key in keys
    )
