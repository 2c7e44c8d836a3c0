"""Publication notices to 2,000 subscribed users on PostgreSQL: the publishing request, and the
worker's delivery against a plain smtplib loop.

Not part of the test suite. It creates the database `kir_bench_fanout` (KIR_BENCH_DATABASE;
dropped at the end), a register world (tests/register/services/conftest.py) and a real SMTP
server on 127.0.0.1 (aiosmtpd, in this process). In the same run:

  1. the publishing request (POST /issues/<id>/transition/publish/ through Django's test client,
     the whole view and its transaction) for --repeat issues with no subscribers, then the same
     for --repeat issues after --users users, each with a subscription the issues match, were
     added: target, the median with subscribers within 2x the median without (the fan-out is
     one outbox row in the request; the worker expands it);
  2. the baseline: one smtplib connection sending --users messages in a loop, as its own
     process (no database);
  3. `kir worker --drain` as its own process, expanding one publication into the users'
     notices and delivering them: target, messages per second at no less than half the loop's,
     both measured between the first and the last message the SMTP server accepted.

It prints peak RSS of this process and of the worker.

    KIR_INSECURE_TEST_KEY=1 .venv/bin/python benchmarks/notify_fanout.py [--users 2000]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from outbox_worker import baseline, database, rate, run_worker  # noqa: E402

os.environ.setdefault("KIR_BENCH_DATABASE", "kir_bench_fanout")


def ready_to_publish(world, count: int) -> list:  # type: ignore[no-untyped-def]
    from kir.register.models import IssueState

    issues = []
    for _ in range(count):
        issue = world.issue_in(IssueState.MANUFACTURER_NOTIFIED)
        issues.append(world.take(issue, "propose_publication"))
    return issues


def publish_times(world, issues: list) -> list[float]:  # type: ignore[no-untyped-def]
    from django.test import Client

    from kir.register import services
    from kir.register.models import Issue

    client = Client()
    client.force_login(world.second_admin)
    times = []
    for issue in issues:
        services.manufacturer_acknowledge(issue=issue, actor=world.maker)
        version = Issue.objects.get(pk=issue.pk).version
        started = time.perf_counter()
        response = client.post(
            f"/issues/{issue.human_id}/transition/publish/",
            {"reason": "Threshold met", "expected_version": version},
        )
        times.append(time.perf_counter() - started)
        assert response.status_code == 302, response.content[:500]
        assert Issue.objects.get(pk=issue.pk).state == "published"
    return times


def add_subscribers(world, users: int) -> None:  # type: ignore[no-untyped-def]
    from django.db import transaction

    from kir.accounts.models import Role, User
    from kir.notify.models import Subscription

    maker = world.version.device_model.manufacturer
    organisation = world.organisations["other_supplier"]
    with transaction.atomic():
        created = User.objects.bulk_create(
            User(
                username=f"subscriber-{n}",
                email=f"subscriber-{n}@example.org",
                organisation=organisation,
                role=Role.VIEWER,
            )
            for n in range(users)
        )
        Subscription.objects.bulk_create(
            Subscription(user=user, kind="manufacturer", value=str(maker.pk)) for user in created
        )


def drain_outbox() -> None:
    """Deliver what setting up queued (world users' notices), before anything is measured."""
    from kir.outbox.worker import deliver_due

    deliver_due(batch=200)


def worker_rate(sink, url: str, expected: int, timeout: float) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    start = len(sink.received)
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    run_worker(sink, url, timeout)
    peak = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    delivered = [m for m in sink.received[start:] if "published" in m.subject]
    assert len(delivered) >= expected, f"the worker delivered {len(delivered)} of {expected}"
    return rate([m.at for m in delivered]), peak


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()
    url = database("create")
    os.environ.update(KIR_DATABASE_URL=url, DJANGO_SETTINGS_MODULE="kir.settings")
    os.environ.setdefault("KIR_INSECURE_TEST_KEY", "1")
    os.environ.setdefault("KIR_ALLOWED_HOSTS", "testserver")
    import django

    django.setup()
    from django.core.management import call_command

    from tests.mailserver import point_django_at, running_smtp_server

    call_command("migrate", verbosity=0)
    try:
        with running_smtp_server() as sink:
            from django.conf import settings

            point_django_at(settings, sink)
            results = run(args, url, sink)
    finally:
        from django.db import connections

        connections.close_all()
        database("drop")
    report(args, *results)
    return 0


def run(args, url: str, sink):  # type: ignore[no-untyped-def]
    from kir.outbox.models import Job
    from tests.register.services.conftest import build_world

    world = build_world()
    alone = ready_to_publish(world, args.repeat + 1)
    publish_times(world, alone[:1])  # warm up: templates, first queries
    without = publish_times(world, alone[1:])
    drain_outbox()
    add_subscribers(world, args.users)
    crowded = ready_to_publish(world, args.repeat)
    last = crowded.pop()
    with_subscribers = publish_times(world, crowded)
    # One publication's fan-out is what the worker is measured on: the others' are dropped,
    # with the proposals' notices to SECAS queued meanwhile.
    Job.objects.filter(state="pending").delete()
    with_subscribers += publish_times(world, [last])
    queued = Job.objects.filter(state="pending").count()
    plain = baseline(sink, args.users)
    sink.received.clear()
    delivered, worker_peak = worker_rate(sink, url, args.users, args.timeout)
    return without, with_subscribers, queued, plain, delivered, worker_peak


def report(args, without, with_subscribers, queued, plain, delivered, worker_peak) -> None:  # type: ignore[no-untyped-def]
    ratio = statistics.median(with_subscribers) / statistics.median(without)
    print(f"users with a matching subscription: {args.users}; publications timed: {args.repeat}")
    print(f"publish request, no subscribers:   median {statistics.median(without) * 1000:.1f} ms")
    print(
        f"publish request, with subscribers: median "
        f"{statistics.median(with_subscribers) * 1000:.1f} ms ({ratio:.2f}x); jobs the last "
        f"publication queued in its request: {queued}"
    )
    print(f"target <= 2x: {'met' if ratio <= 2 else 'NOT met'}")
    print(f"plain smtplib loop: {plain:.0f} messages/s")
    print(
        f"kir worker (fan-out and delivery): {delivered:.0f} messages/s "
        f"({delivered / plain:.2f}x the loop)"
    )
    print(f"target >= 0.5x: {'met' if delivered / plain >= 0.5 else 'NOT met'}")
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: this process {own:.0f} MB, worker {worker_peak:.0f} MB")
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    sys.exit(main())
