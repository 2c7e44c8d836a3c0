"""Form errors the GOV.UK way on every register form: a focused summary of links to the fields,
people's words, and the same message beside its field, tied to it by aria-describedby."""

from __future__ import annotations

import html
import re

import pytest
from django import forms

from kir.register.forms import AffectedProductForm, IssueForm
from kir.register.models import Issue
from kir.web.form_messages import PeopleMessages, field_name
from tests.clients import signed_in
from tests.register.test_views import issue_post
from tests.register.ui_cast import UiCast, make_ui_cast

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast() -> UiCast:
    return make_ui_cast()


def summary_links(text: str) -> list[tuple[str, str]]:
    summary = text.split('id="error-summary"', 1)[1].split("</div>", 1)[0]
    return [
        (a, html.unescape(b)) for a, b in re.findall(r'<a href="#([^"]+)">([^<]+)</a>', summary)
    ]


def message_beside(text: str, field_id: str) -> str:
    [found] = re.findall(rf'<p class="govuk-error-message" id="{field_id}_error">(.*?)</p>', text)
    return html.unescape(re.sub(r"<[^>]+>", "", found)).replace("Error: ", "", 1).strip()


FIRMWARE = "Enter the first fixed firmware as 8 hexadecimal digits, for example 0A1B2C3D"


def test_a_bad_firmware_on_a_product_row_links_to_that_rows_field(cast):
    data = issue_post(cast, **{"products-0-first_fixed_firmware": "XYZ"})
    response = signed_in(cast.reporter).post("/issues/new/", data)
    text = response.content.decode()
    assert response.status_code == 422
    assert summary_links(text) == [("id_products-0-first_fixed_firmware", f"Product 1: {FIRMWARE}")]
    assert message_beside(text, "id_products-0-first_fixed_firmware") == FIRMWARE
    [field] = re.findall(r'<input[^>]*id="id_products-0-first_fixed_firmware"[^>]*>', text)
    assert 'aria-describedby="id_products-0-first_fixed_firmware_error"' in field
    assert 'aria-invalid="true"' in field
    assert "expected 8 hex digits" not in text
    assert not Issue.objects.exists()


def test_firmware_written_with_separators_is_accepted_and_normalised(cast):
    data = issue_post(cast, **{"products-0-first_fixed_firmware": "0a-1b-2c-3d"})
    assert signed_in(cast.reporter).post("/issues/new/", data).status_code == 302
    assert Issue.objects.get().products.get().first_fixed_firmware == "0A1B2C3D"


def test_the_summary_is_first_focused_and_names_each_field_in_words(cast):
    data = issue_post(cast, title="", installations_affected="-3", excess_alerts_per_day="lots")
    text = signed_in(cast.reporter).post("/issues/new/", data).content.decode()
    [summary] = re.findall(r'<div class="error-summary"[^>]*id="error-summary"[^>]*>', text)
    assert 'role="alert"' in summary and 'tabindex="-1"' in summary and "autofocus" in summary
    assert text.index('id="error-summary"') < text.index('<form method="post" novalidate>')
    assert summary_links(text) == [
        ("id_title", "Enter the title"),
        (
            "id_excess_alerts_per_day",
            "Enter the excess alerts per day as a number, for example 1200.5",
        ),
        ("id_installations_affected", "Installations affected must be 0 or more"),
    ]
    for field_id, message in summary_links(text):
        assert message_beside(text, field_id) == message
        assert re.search(rf'aria-describedby="[^"]*\b{field_id}_error"', text)


def test_a_group_of_radios_is_linked_through_its_first_option(cast):
    issue = cast.notified()
    url = f"/issues/{issue.human_id}/response/"
    text = signed_in(cast.manufacturer_user).post(url, {"rationale": ""}).content.decode()
    assert summary_links(text) == [
        ("id_response_0", "Select whether you acknowledge or dispute the issue")
    ]
    assert 'id="id_response_0"' in text
    [fieldset] = re.findall(r"<fieldset[^>]*>", text)
    assert 'aria-describedby="id_response_error"' in fieldset


def test_a_step_needing_a_reason_says_so_beside_the_reason(cast):
    issue = cast.draft()
    url = f"/issues/{issue.human_id}/transition/reject/"
    response = signed_in(cast.admin_a).post(url, {"reason": " ", "expected_version": "1"})
    text = response.content.decode()
    assert response.status_code == 422
    assert summary_links(text) == [("id_reason", "Enter the reason")]
    assert message_beside(text, "id_reason") == "Enter the reason"


@pytest.mark.parametrize(
    ("path", "data", "link"),
    [
        ("statements/new/", {"kind": "observation", "text": ""}, ("id_text", "Enter the text")),
        ("evidence/new/", {"description": "Log"}, ("id_file", "Select the file")),
    ],
)
def test_the_other_issue_forms_follow_the_pattern(cast, path, data, link):
    issue = cast.notified()
    text = signed_in(cast.admin_a).post(f"/issues/{issue.human_id}/{path}", data).content
    assert summary_links(text.decode()) == [link]


def test_a_message_a_form_sets_itself_is_kept():
    class Form(PeopleMessages, forms.Form):
        name = forms.CharField(error_messages={"required": "Say who you are"})
        count = forms.IntegerField(max_value=9)

    form = Form({"count": "12"})
    assert form.errors == {"name": ["Say who you are"], "count": ["Count must be 9 or less"]}


def test_field_names_keep_initialisms_and_drop_notes():
    assert field_name("First fixed firmware (8 hex)") == "first fixed firmware"
    assert field_name("DMC identifier") == "DMC identifier"
    assert IssueForm({}).errors["category"] == ["Select the category"]
    assert AffectedProductForm({"first_fixed_firmware": "12"}).errors == {
        "first_fixed_firmware": [FIRMWARE]
    }
