"""Issue texts have documented size limits everywhere they are written, and rendered Markdown
is cached (issue 16 row 14)."""

from __future__ import annotations

import pytest
from django.test import Client

from kir.register import rendering
from kir.register.errors import ValidationFailed
from kir.register.models import TEXT_LIMITS, Issue
from kir.register.services import issue_create_draft
from tests.register.test_api import Api, draft_body
from tests.register.ui_cast import UiCast, make_ui_cast

pytestmark = pytest.mark.django_db

LIMIT = TEXT_LIMITS["description"]


@pytest.fixture
def cast() -> UiCast:
    return make_ui_cast()


def test_the_api_refuses_a_description_over_the_limit(cast):
    api = Api(cast.reporter)
    response = api.post("/issues", draft_body(cast, description="x" * (LIMIT + 1)))
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "description"
    assert api.post("/issues", draft_body(cast, description="x" * LIMIT)).status_code == 201


def test_the_service_refuses_a_description_over_the_limit(cast):
    with pytest.raises(ValidationFailed) as refused:
        issue_create_draft(
            actor=cast.reporter,
            title="Long",
            summary="Long text.",
            description="x" * (LIMIT + 1),
            category="superfluous_alerts",
        )
    assert refused.value.errors == {"description": [f"At most {LIMIT} characters."]}
    assert not Issue.objects.exists()


def test_the_form_refuses_a_description_over_the_limit(cast):
    client = Client()
    client.force_login(cast.reporter)
    response = client.post(
        "/issues/new/",
        {
            "title": "Long",
            "summary": "Long text.",
            "description": "x" * (LIMIT + 1),
            "category": "superfluous_alerts",
            "evidence_level": "reported",
            "impact_level": "low",
        },
    )
    assert response.status_code in (200, 422)
    assert f"Description must be {LIMIT} characters or fewer" in response.content.decode()
    assert not Issue.objects.exists()


def test_rendered_markdown_is_cached_by_content(monkeypatch):
    calls = []
    real = rendering.markdown_lib.markdown

    def counting(text, **options):
        calls.append(text)
        return real(text, **options)

    monkeypatch.setattr(rendering.markdown_lib, "markdown", counting)
    text = "A **cached** text seen by this test only."
    first = rendering.render_markdown(text)
    assert (
        rendering.render_markdown(text)
        == first
        == "<p>A <strong>cached</strong> text seen by this test only.</p>"
    )
    assert calls == [text]
    rendering.render_markdown(text + " Changed.")
    assert len(calls) == 2
