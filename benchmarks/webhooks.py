"""Webhooks on PostgreSQL: what they add to the publishing request, and the worker's delivery
rate against a plain loop of urllib POSTs, in the same run.

Not part of the test suite. It creates the database `kir_i11-webhooks_bench` (dropped at the
end) and a real HTTP receiver on 127.0.0.1 (tests/notify/webhook_receiver.py, verifying every
signature), and measures:

  - publishing: the `publish` step (issue_transition) with no endpoint, then with one endpoint
    for each of E organisations, every one asking for issue.published; the median of R runs
    each. The step queues one event row; the worker builds each endpoint's payload later;
  - delivery: a subprocess POSTing N signed bodies with urllib, one connection each (the
    baseline), then N webhook jobs delivered by one `kir worker --drain` process (claims,
    signing, the SSRF check, the delivery log, outcomes).

Rates are deliveries per second between the first and last arrival at the receiver. Peak RSS
is this process's and its largest child's.

    KIR_INSECURE_TEST_KEY=1 .venv/bin/python benchmarks/webhooks.py [--endpoints 50]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))
ADMIN_URL = os.environ.get("KIR_BENCH_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
DATABASE = os.environ.get("KIR_BENCH_DATABASE", "kir_i11-webhooks_bench")


def database(action: str) -> str:
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        if action == "create":
            connection.execute(f'CREATE DATABASE "{DATABASE}"')
    return ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgres://") + f"/{DATABASE}"


def rate(times: list[float]) -> float:
    return (len(times) - 1) / (times[-1] - times[0])


def post_loop(url: str, secret: str, count: int) -> None:
    """The baseline, in its own process as the worker is: sign and POST `count` bodies."""
    import json
    import urllib.request
    from datetime import UTC, datetime

    from standardwebhooks.webhooks import Webhook

    hook = Webhook(secret)
    for n in range(count):
        body = json.dumps({"type": "tracker.edition_published", "data": {"edition": n}})
        at = datetime.now(UTC)
        headers = {
            "webhook-id": f"baseline_{n}",
            "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": hook.sign(f"baseline_{n}", at, body),
            "Content-Type": "application/json",
        }
        request = urllib.request.Request(url, body.encode(), headers, method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()


def publish_seconds(world, runs: int) -> float:  # type: ignore[no-untyped-def]
    from kir.register.models import IssueState

    timings = []
    for _ in range(runs):
        issue = world.issue_in(IssueState.MANUFACTURER_NOTIFIED)
        world.take(issue, "propose_publication")
        started = time.perf_counter()
        world.take(issue, "publish")
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def add_endpoints(world, receiver, count: int) -> None:  # type: ignore[no-untyped-def]
    from kir.accounts.models import PartyCategory, Role
    from kir.notify.webhooks.services import webhook_endpoint_create
    from tests.factories import OrganisationFactory, UserFactory

    for n in range(count):
        organisation = OrganisationFactory(name=f"Bench {n}", category=PartyCategory.SMALL_SUPPLIER)
        admin = UserFactory(
            username=f"bench-{n}", organisation=organisation, role=Role.ADMINISTRATOR
        )
        _, secret = webhook_endpoint_create(
            actor=admin, organisation=organisation, url=receiver.url, events=["issue.published"]
        )
        receiver.secrets.append(secret)


def deliver(receiver, url: str, count: int, timeout: float) -> float:  # type: ignore[no-untyped-def]
    from django.db import transaction

    from kir.notify.webhooks.events import webhook_events_enqueue
    from kir.notify.webhooks.models import WebhookEndpoint
    from kir.outbox.models import Job

    Job.objects.all().delete()  # the publications' e-mails and webhooks: not measured here
    WebhookEndpoint.objects.exclude(pk=WebhookEndpoint.objects.order_by("id")[0].pk).delete()
    WebhookEndpoint.objects.update(events=["tracker.edition_published"])
    with transaction.atomic():
        for n in range(count):
            webhook_events_enqueue(event="tracker.edition_published", data={"edition": n})
    start = len(receiver.received)
    env = {
        **os.environ,
        "KIR_DATABASE_URL": url,
        "KIR_WEBHOOK_ALLOW_LOOPBACK": "1",
        "DJANGO_SETTINGS_MODULE": "kir.settings",
    }
    command = [sys.executable, "-m", "kir.cli", "worker", "--drain", "--timeout", str(timeout)]
    subprocess.run(command, cwd=ROOT, env=env, check=True, timeout=timeout + 60)
    arrived = receiver.received[start:]
    assert len(arrived) == count, f"the worker delivered {len(arrived)} of {count}"
    assert all(d.verified_with for d in arrived)
    return rate([d.at for d in arrived])


def baseline(receiver, count: int) -> float:  # type: ignore[no-untyped-def]
    start = len(receiver.received)
    code = (
        "import sys; sys.path.insert(0, 'benchmarks'); import webhooks; "
        f"webhooks.post_loop({receiver.url!r}, {receiver.secrets[0]!r}, {count})"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=600)
    arrived = receiver.received[start:]
    assert len(arrived) == count and all(d.verified_with for d in arrived)
    return rate([d.at for d in arrived])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoints", type=int, default=50)
    parser.add_argument("--deliveries", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()
    url = database("create")
    os.environ.update(KIR_DATABASE_URL=url, DJANGO_SETTINGS_MODULE="kir.settings")
    os.environ.setdefault("KIR_INSECURE_TEST_KEY", "1")
    os.environ["KIR_WEBHOOK_ALLOW_LOOPBACK"] = "1"
    import django

    django.setup()
    from django.core.management import call_command

    from tests.notify.webhook_receiver import running_receiver
    from tests.register.services.conftest import build_world

    call_command("migrate", verbosity=0)
    try:
        with running_receiver() as receiver:
            world = build_world()
            without = publish_seconds(world, args.runs)
            add_endpoints(world, receiver, args.endpoints)
            with_endpoints = publish_seconds(world, args.runs)
            plain = baseline(receiver, args.deliveries)
            delivered = deliver(receiver, url, args.deliveries, args.timeout)
    finally:
        from django.db import connections

        connections.close_all()
        database("drop")
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"publish step, no endpoint:        {without * 1000:.1f} ms (median of {args.runs})")
    print(
        f"publish step, {args.endpoints} endpoints:       {with_endpoints * 1000:.1f} ms "
        f"({with_endpoints / without:.2f}x)"
    )
    print(f"plain urllib POST loop: {plain:.0f} deliveries/s")
    print(
        f"kir worker:             {delivered:.0f} deliveries/s ({delivered / plain:.2f}x the loop)"
    )
    print(f"peak RSS: this process {own:.0f} MiB, largest child {child:.0f} MiB")
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
