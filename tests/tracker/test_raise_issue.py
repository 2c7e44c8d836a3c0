"""A draft issue raised from a finding: products, figures, evidence at the right confidentiality."""

from __future__ import annotations

import json

import pytest

from kir.audit.models import AuditEvent
from kir.catalogue.models import DMC
from kir.register.errors import PermissionRefused
from kir.register.models import IssueState
from kir.register.selectors.visibility import issues_visible_to
from kir.tracker.raise_issue import issue_draft_from_finding
from tests.tracker.cast import tracker_cast


@pytest.fixture
def cast(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tracker_cast()


@pytest.fixture
def finding(cast):
    run = cast.run(
        [
            {
                "parts": [cast.hub, ("GSME", "0ABC", "00C00001", "00000001")],
                "dmcs": ["DMC-00000000A1B2", "DMC-0000000FFFFF"],
            }
        ]
    )
    found = run.findings.get()
    found.dmc_rows.filter(identifier="DMC-00000000A1B2").update(
        dmc=DMC.objects.get(identifier="DMC-00000000A1B2")
    )
    found.devices = [{"device_id": "00-DB-12-34-56-78-90-A0", "superfluous_alerts": 900}]
    found.save(update_fields=["devices"])
    return found


def test_it_raises_a_draft_with_products_and_figures(cast, finding):
    link = issue_draft_from_finding(actor=cast.dcc, finding=finding)
    issue = link.issue
    assert issue.state == IssueState.DRAFT and issue.category == "superfluous_alerts"
    assert issue.regions == ["north"] and issue.evidence_level == "established"
    assert issue.excess_alerts_per_day == 120.0 and issue.installations_affected == 40
    assert "correlated with" in issue.title
    products = {str(p.device_version or p.dmc.identifier) for p in issue.products.all()}
    assert products == {str(cast.hub), "DMC-00000000A1B2"}
    # What the catalogue does not know is listed for SECAS, not dropped.
    assert link.unresolved == [
        "component GSME 0ABC/00C00001 fw 00000001 (not in the catalogue)",
        "DMC DMC-0000000FFFFF (not in the catalogue)",
    ]
    assert "DMC-0000000FFFFF" in issue.description
    event = AuditEvent.objects.get(verb="tracker.issue_raised")
    assert event.data["run"] == finding.run_id and event.data["rules_sha256"] == "ab" * 32


def test_its_evidence_names_the_run_and_keeps_devices_confidential(cast, finding):
    issue = issue_draft_from_finding(actor=cast.dcc, finding=finding).issue
    evidence = {e.description.split(" (")[0]: e for e in issue.evidence.all()}
    figures = evidence["Tracker finding figures"]
    data = json.loads(figures.file.read())
    assert data["run"] == finding.run_id and data["rules_sha256"] == "ab" * 32
    assert data["excess_alerts_per_day"] == 120.0 and not figures.installation_level
    series = evidence["Tracker finding daily series"].file.read().decode().splitlines()
    assert series[0].startswith("day,alerts,superfluous_alerts") and len(series) == 15
    assert evidence["Tracker finding device drill-down"].installation_level


@pytest.mark.parametrize("persona", ["supplier", "hubline"])
def test_only_dcc_and_secas_raise_issues(cast, finding, persona):
    with pytest.raises(PermissionRefused):
        issue_draft_from_finding(actor=cast.users[persona], finding=finding)


def test_secas_may_raise_one_and_it_is_a_draft_others_cannot_see(cast, finding):
    issue = issue_draft_from_finding(actor=cast.admin_a, finding=finding).issue
    assert not issues_visible_to(user=cast.supplier).filter(pk=issue.pk).exists()
