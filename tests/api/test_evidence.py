"""Evidence through the API: the list keeps installation-level evidence to its organisation,
SECAS and DCC; uploads go through the evidence service, with its refusals."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kir.register.models import Evidence
from kir.register.services import evidence_add
from tests.register.test_api import Api
from tests.register.ui_cast import UiCast, make_ui_cast

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast(settings, tmp_path) -> UiCast:
    settings.MEDIA_ROOT = tmp_path
    return make_ui_cast()


def upload(api: Api, human_id: str, **fields):
    data = {
        "file": SimpleUploadedFile("counts.csv", b"region,alerts\nnorth,12\n"),
        "description": "Alert counts",
        **fields,
    }
    return api.client.post(f"/api/issues/{human_id}/evidence", data)


def test_the_list_hides_installation_level_evidence_from_other_organisations(cast):
    issue = cast.published()
    file = SimpleUploadedFile("sites.csv", b"site\n42\n")
    evidence_add(
        issue=issue, actor=cast.reporter, file=file, description="Sites", installation_level=True
    )
    upload(Api(cast.reporter), issue.human_id)
    own = Api(cast.reporter).get(f"/issues/{issue.human_id}/evidence").json()
    assert sorted(e["description"] for e in own) == ["Alert counts", "Sites"]
    assert own[0]["download_url"].startswith(f"/issues/{issue.human_id}/evidence/")
    other = Api(cast.other_supplier).get(f"/issues/{issue.human_id}/evidence").json()
    assert [e["description"] for e in other] == ["Alert counts"]
    assert len(Api(cast.dcc).get(f"/issues/{issue.human_id}/evidence").json()) == 2


def test_uploads_answer_created_refused_or_missing(cast):
    issue = cast.published()
    created = upload(Api(cast.other_supplier), issue.human_id)
    assert created.status_code == 201 and created.json()["organisation"] == "Southern Power"
    assert Evidence.objects.count() == 1
    assert upload(Api(cast.reporter_viewer), issue.human_id).status_code == 403
    assert upload(Api(cast.reporter), issue.human_id, description=" ").status_code == 422
    hidden = cast.draft(title="Hidden")
    assert upload(Api(cast.other_supplier), hidden.human_id).status_code == 404
    assert Api(cast.other_supplier).get(f"/issues/{hidden.human_id}/evidence").status_code == 404
    assert Evidence.objects.count() == 1
