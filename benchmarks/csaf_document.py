"""CSAF document of an issue with 200 products: p95 against the target of 50 ms.

`KIR_INSECURE_TEST_KEY=1 .venv/bin/python benchmarks/csaf_document.py [--products 200]`: makes a
fresh SQLite database under var/bench/ (removed at the end), seeds the demo, publishes through
the services one more issue and gives it `--products` affected products (three in four device
versions, one in four five-member DMCs sharing members), then times in-process requests through
Django's test client with a personal token: the baseline is the register's own JSON of the same
issue (`GET /api/issues/{id}`), measured in the same run; then `GET /api/issues/{id}/csaf`.
Not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_django(database: Path) -> None:
    os.environ.update(
        KIR_DATABASE_URL=f"sqlite:///{database}",
        KIR_CSAF_GNUPG_HOME=os.environ.get("KIR_CSAF_GNUPG_HOME", str(database.parent / "gnupg")),
        KIR_SETTINGS_FILE="",
        KIR_DEMO="true",
        # The demo seed renders pages that name static files; without collectstatic only debug
        # storage resolves them. Both endpoints are timed alike.
        KIR_DEBUG="true",
        KIR_ALLOWED_HOSTS="testserver",
        KIR_EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        KIR_LOG_LEVEL="ERROR",
        KIR_REQUEST_LOG_LEVEL="ERROR",
        DJANGO_SETTINGS_MODULE="kir.settings",
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def big_issue(products: int) -> str:
    """A published demo issue with `products` affected products; its human id."""
    from kir.catalogue.models import DMC, DeviceModel, DeviceVersion
    from kir.register.models import AffectedProduct, Issue, IssueState, ProductStatus
    from kir.web.demo.seed import seed_demo

    seed_demo()
    issue = Issue.objects.filter(state=IssueState.PUBLISHED).order_by("human_id").first()
    assert issue is not None
    models = list(DeviceModel.objects.all())
    versions = [
        DeviceVersion(
            device_model=models[n % len(models)],
            hardware_version="0001",
            firmware_version=f"B{n:07X}",
        )
        for n in range(products)
    ]
    versions = DeviceVersion.objects.bulk_create(versions)
    statuses = ProductStatus.values
    rows = []
    for n in range(products):
        if n % 4 == 3:
            dmc = DMC.objects.create(identifier=f"DMC-BENCH{n:07X}", name=f"Bench {n}")
            dmc.members.set(versions[max(0, n - 4) : n + 1])
            rows.append(AffectedProduct(issue=issue, dmc=dmc, status=statuses[n % 4]))
        else:
            rows.append(
                AffectedProduct(
                    issue=issue,
                    device_version=versions[n],
                    status=statuses[n % 4],
                    first_fixed_firmware="C0000000" if n % 5 == 0 else "",
                )
            )
    AffectedProduct.objects.bulk_create(rows)
    return issue.human_id


def timed(client, url: str, requests: int) -> list[float]:
    for _ in range(20):
        response = client.get(url)
        assert response.status_code == 200, (url, response.content[:300])
    times = []
    for _ in range(requests):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    return times


def p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20)[-1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=200)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    (ROOT / "var" / "bench").mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=ROOT / "var" / "bench") as scratch:
        setup_django(Path(scratch) / "csaf.sqlite3")
        from django.test import Client

        from kir.accounts.models import User
        from kir.accounts.services import token_create
        from kir.outbox.worker import deliver_due

        human_id = big_issue(args.products)
        user = User.objects.get(username="brightwater-viewer")
        _, secret = token_create(user=user, name="bench", expires_in_days=1)
        client = Client(headers={"Authorization": f"Bearer {secret}"})
        size = len(client.get(f"/api/issues/{human_id}/csaf").content)
        baseline = timed(client, f"/api/issues/{human_id}", args.requests)
        rendered = timed(client, f"/api/issues/{human_id}/csaf", args.requests)
        deliver_due()  # the worker stores the provider entry: served from then on
        stored = timed(client, f"/api/issues/{human_id}/csaf", args.requests)
    print(f"issue {human_id}: {args.products} products; CSAF document {size / 1024:.1f} KiB")
    print(f"{'endpoint':<40} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for name, times in (
        ("GET /api/issues/{id} (baseline)", baseline),
        ("GET .../csaf (rendered: no entry yet)", rendered),
        ("GET .../csaf (stored entry)", stored),
    ):
        print(f"{name:<40} {statistics.median(times):8.2f} {p95(times):8.2f} {max(times):8.2f}")
    for name, times in (("rendered", rendered), ("stored", stored)):
        verdict = "met" if p95(times) < 50 else "NOT met"
        ratio = p95(times) / p95(baseline)
        print(f"CSAF {name} p95 / baseline p95: {ratio:.2f}x; target p95 < 50 ms: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
