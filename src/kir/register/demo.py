"""Demo issues in every state, made through the services so timelines, notices and the audit
chain are the real thing. Uses the people and catalogue of kir.web.demo (`kir demo seed`).

Idempotent: an issue whose title already exists is left alone, so a re-run changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from kir.accounts.models import User
from kir.catalogue.models import DMC, DeviceVersion
from kir.register import services
from kir.register.models import Issue, StatementKind

Step = Callable[[Issue], Issue]


def _user(username: str) -> User:
    return User.objects.get(username=username)


def _version(model_id: str, firmware: str) -> DeviceVersion:
    return DeviceVersion.objects.get(device_model__model_id=model_id, firmware_version=firmware)


def _dmc_with(*model_ids: str) -> DMC:
    combinations = DMC.objects.all()
    for model_id in model_ids:
        combinations = combinations.filter(members__device_model__model_id=model_id)
    found = combinations.order_by("identifier").first()
    if found is None:
        raise LookupError(f"the demo catalogue has no DMC with models {model_ids}")
    return found


def _take(name: str, username: str, reason: str = "") -> Step:
    def step(issue: Issue) -> Issue:
        return services.issue_transition(
            issue=issue,
            actor=_user(username),
            transition=name,
            reason=reason,
            expected_version=issue.version,
        )

    return step


def _say(username: str, kind: str, text: str, challenge_kind: str | None = None) -> Step:
    """Add a statement; with `challenge_kind`, challenge the latest statement of that kind."""

    def step(issue: Issue) -> Issue:
        target = None
        if challenge_kind is not None:
            target = issue.statements.filter(kind=challenge_kind).order_by("-id").first()
        services.statement_add(
            issue=issue, actor=_user(username), kind=kind, text=text, challenges=target
        )
        return issue

    return step


def _acknowledge(username: str) -> Step:
    def step(issue: Issue) -> Issue:
        services.manufacturer_acknowledge(issue=issue, actor=_user(username))
        return issue

    return step


def _others_acknowledge(issue: Issue) -> Issue:
    """Every named manufacturer that has not answered yet acknowledges (a DMC names several)."""
    for notice in issue.notices.filter(responded_at__isnull=True).select_related("organisation"):
        contributor = f"{notice.organisation.slug}-contributor"
        services.manufacturer_acknowledge(issue=issue, actor=_user(contributor))
    return issue


def _dispute(username: str, rationale: str) -> Step:
    def step(issue: Issue) -> Issue:
        services.manufacturer_dispute(issue=issue, actor=_user(username), rationale=rationale)
        return Issue.objects.get(pk=issue.pk)

    return step


def _coordinate(issue: Issue) -> Issue:
    from kir.accounts.models import Organisation

    return services.coordinator_assign(
        issue=issue,
        actor=_user("secas-coordinator"),
        organisation=Organisation.objects.get(slug="dcc"),
    )


def _mark_fixed(firmware: str) -> Step:
    def step(issue: Issue) -> Issue:
        products = [
            {
                "device_version": p.device_version,
                "dmc": p.dmc,
                "status": "fixed",
                "first_fixed_firmware": firmware,
            }
            for p in issue.products.all()
        ]
        return services.issue_update(
            issue=issue,
            actor=_user("dcc-coordinator"),
            expected_version=issue.version,
            products=products,
        )

    return step


NOTIFY = _take("notify_manufacturer", "secas-administrator")
PROPOSE = _take("propose_publication", "secas-administrator")
PUBLISH = _take("publish", "secas-approver")


@dataclass(frozen=True)
class DemoIssue:
    title: str
    reporter: str
    summary: str
    category: str
    regions: list[str]
    products: Callable[[], list[dict[str, Any]]]
    evidence_level: str = "corroborated"
    impact_level: str = "moderate"
    excess_alerts_per_day: float | None = None
    installations_affected: int | None = None
    steps: tuple[Step, ...] = field(default=())


def _versions(
    *pairs: tuple[str, str], status: str = "known_affected"
) -> Callable[[], list[dict[str, Any]]]:
    return lambda: [{"device_version": _version(*pair), "status": status} for pair in pairs]


def _publish_steps(reporter: str, maker: str) -> tuple[Step, ...]:
    return (
        _take("submit_for_assessment", reporter),
        NOTIFY,
        _acknowledge(maker),
        PROPOSE,
        PUBLISH,
    )


DEMO_ISSUES = (
    DemoIssue(
        title="In-home display loses its pairing after a gas meter firmware update",
        reporter="brightwater-contributor",
        summary="After the G260 gas meter moved to firmware 00030102, some Glow 3 displays "
        "stopped showing gas consumption until re-paired.",
        category="interoperability",
        regions=["central"],
        products=_versions(("00D10003", "00050001"), ("0002B140", "00030102")),
        evidence_level="reported",
        impact_level="low",
    ),
    DemoIssue(
        title="Prepayment top-ups reach the meter hours late through the PayPoint interface",
        reporter="heron-contributor",
        summary="Top-ups made through the PPMID are applied by the meter up to six hours later "
        "in a minority of premises.",
        category="prepayment",
        regions=["south"],
        products=_versions(("00D30001", "00020003"), status="under_investigation"),
        installations_affected=140,
        steps=(_take("submit_for_assessment", "heron-contributor"), _coordinate),
    ),
    DemoIssue(
        title="Clock adjusted alerts (8145) sent every hour by E570 polyphase meters",
        reporter="dcc-contributor",
        summary="E570 meters on firmware 00010602 send alert 8145 hourly although their clock "
        "is within tolerance.",
        category="superfluous_alerts",
        regions=["north", "central"],
        products=_versions(("0001A310", "00010602")),
        excess_alerts_per_day=52000.0,
        installations_affected=2200,
        steps=(_take("submit_for_assessment", "dcc-contributor"), NOTIFY),
    ),
    DemoIssue(
        title="Supply restored alerts (8F35) repeated after short outages in CSP North",
        reporter="dcc-contributor",
        summary="After outages shorter than three minutes, premises with the CH-N412 comms hub on "
        "firmware 01030200 send alert 8F35 between 20 and 40 times.",
        category="superfluous_alerts",
        regions=["north"],
        products=_versions(("00C1B001", "01030200")),
        evidence_level="established",
        impact_level="high",
        excess_alerts_per_day=410000.0,
        installations_affected=61000,
        steps=(
            _take("submit_for_assessment", "dcc-contributor"),
            NOTIFY,
            _dispute(
                "hubline-contributor",
                "Our hub forwards each 8F35 it receives from the meter once; our traces show "
                "the repeats originate upstream of the hub.",
            ),
            PROPOSE,
            PUBLISH,
        ),
    ),
    DemoIssue(
        title="Connect and disconnect alerts alternate every few seconds in one combination",
        reporter="brightwater-contributor",
        summary="Premises with an E470 meter on firmware 00020200 behind a CH-N412 hub send "
        "alternating 8F3E/8F3F alerts in bursts of several hundred.",
        category="superfluous_alerts",
        regions=["north"],
        products=lambda: [{"dmc": _dmc_with("0001A2F3", "00C1B001"), "status": "known_affected"}],
        evidence_level="corroborated",
        impact_level="high",
        excess_alerts_per_day=95000.0,
        installations_affected=8300,
        steps=(
            _take("submit_for_assessment", "brightwater-contributor"),
            NOTIFY,
            _say(
                "meterix-contributor",
                StatementKind.ROOT_CAUSE,
                "A debounce timer in the load switch driver restarts when the HAN reconnects; "
                "firmware 00020301 lengthens it.",
            ),
            _others_acknowledge,
            PROPOSE,
            PUBLISH,
            _say(
                "brightwater-contributor",
                StatementKind.CHALLENGE,
                "We still see the bursts on 412 premises already upgraded to 00020301, so the "
                "debounce timer does not explain every case.",
                challenge_kind=StatementKind.ROOT_CAUSE,
            ),
        ),
    ),
    DemoIssue(
        title="Gas proxy stops returning cached readings after firmware 01030200",
        reporter="brightwater-contributor",
        summary="Reads of the gas proxy function return no cached consumption for up to a day "
        "after the hub installs firmware 01030200.",
        category="firmware_upgrade",
        regions=["north"],
        products=_versions(("00C1B002", "01030200")),
        impact_level="high",
        installations_affected=12000,
        steps=(
            *_publish_steps("brightwater-contributor", "hubline-contributor"),
            _mark_fixed("01040001"),
            _take(
                "resolve",
                "dcc-coordinator",
                "Firmware 01040001 rolled out to the CSP North estate.",
            ),
        ),
    ),
    DemoIssue(
        title="G260 gas meter firmware upgrade stalls at the activation step",
        reporter="heron-contributor",
        summary="Upgrades of the G260 to firmware 00030100 stay pending activation for some "
        "meters until the activation command is repeated.",
        category="firmware_upgrade",
        regions=["central", "south"],
        products=_versions(("0002B140", "00030007")),
        installations_affected=900,
        steps=(
            *_publish_steps("heron-contributor", "meterix-contributor"),
            _take(
                "resolve",
                "secas-administrator",
                "Repeat-activation guidance issued; fixed in 00030100.",
            ),
            _take("close", "secas-administrator"),
        ),
    ),
    DemoIssue(
        title="Duplicate tamper alerts from E470 twin element meters",
        reporter="heron-contributor",
        summary="Each tamper event on the E470 twin element appeared twice in the alert stream.",
        category="superfluous_alerts",
        regions=["south"],
        products=_versions(("0001A2F8", "00020200")),
        steps=(
            *_publish_steps("heron-contributor", "meterix-contributor"),
            _take(
                "withdraw",
                "secas-administrator",
                "The duplicates came from one supplier's head-end configuration, not the meters.",
            ),
        ),
    ),
    DemoIssue(
        title="In-home display brightness lower than expected",
        reporter="brightwater-contributor",
        summary="Customers report the Glow 4 display is hard to read in daylight.",
        category="other",
        regions=["central"],
        products=_versions(("00D10004", "00010000")),
        evidence_level="reported",
        impact_level="low",
        steps=(
            _take(
                "reject",
                "secas-administrator",
                "A display preference with no effect on DCC services or SEC obligations.",
            ),
        ),
    ),
)


def _create(spec: DemoIssue) -> Issue:
    issue = services.issue_create_draft(
        actor=_user(spec.reporter),
        title=spec.title,
        summary=spec.summary,
        category=spec.category,
        regions=spec.regions,
        products=spec.products(),
        evidence_level=spec.evidence_level,
        impact_level=spec.impact_level,
        excess_alerts_per_day=spec.excess_alerts_per_day,
        installations_affected=spec.installations_affected,
    )
    for step in spec.steps:
        issue = step(issue)
    return issue


@transaction.atomic
def seed_register_demo() -> str:
    """Create the demo issues that do not exist yet; returns a one-line summary."""
    created = []
    for spec in DEMO_ISSUES:
        if Issue.objects.filter(title=spec.title).exists():
            continue
        created.append(_create(spec))
    states = sorted({issue.get_state_display().lower() for issue in created})
    if not created:
        return f"all {len(DEMO_ISSUES)} demo issues already present"
    return f"{len(created)} issues created ({', '.join(states)})"
