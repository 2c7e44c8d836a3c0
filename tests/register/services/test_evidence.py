"""Evidence attachments: stored under MEDIA_ROOT, installation-level flag kept."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kir.audit.models import AuditEvent
from kir.register import services
from kir.register.errors import PermissionRefused, ValidationFailed
from kir.register.models import Evidence, IssueState


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _file(name="alerts.csv", data=b"device,alerts\n00-DB-12-34-56-78-90-A0,412\n"):
    return SimpleUploadedFile(name, data, content_type="text/csv")


def test_it_stores_the_file_and_its_flag(world, media):
    issue = world.draft()
    evidence = services.evidence_add(
        issue=issue,
        actor=world.reporter,
        file=_file(),
        description="Alert counts per device, North, March",
        installation_level=True,
    )
    assert evidence.installation_level
    assert evidence.organisation == world.organisations["reporter"]
    assert (media / evidence.file.name).read_bytes().startswith(b"device,alerts")
    event = AuditEvent.objects.get(verb="evidence.added")
    assert event.data["installation_level"] is True


def test_it_refuses_uploads_without_description_or_right(world):
    issue = world.draft()
    with pytest.raises(ValidationFailed):
        services.evidence_add(issue=issue, actor=world.reporter, file=_file(), description=" ")
    with pytest.raises(PermissionRefused):
        services.evidence_add(
            issue=issue, actor=world.users["reporter_viewer"], file=_file(), description="x"
        )
    with pytest.raises(PermissionRefused):
        services.evidence_add(
            issue=issue,
            actor=world.users["other_supplier_contributor"],
            file=_file(),
            description="x",
        )
    assert not Evidence.objects.exists()


def test_it_refuses_evidence_on_a_closed_issue(world):
    issue = world.issue_in(IssueState.CLOSED)
    with pytest.raises(ValidationFailed):
        services.evidence_add(issue=issue, actor=world.reporter, file=_file(), description="x")
