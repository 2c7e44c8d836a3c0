"""axe-core's WCAG 2.2 A/AA rules over the register pages issue 15 changed: the issue page with
its timeline and root-cause history, the statement form, and the report and edit forms with the
product picker (tests/browser/test_product_picker.py checks them mid-pick)."""

from __future__ import annotations

import pytest

from kir.register.services import statement_add
from tests.browser.axe import axe_violations
from tests.browser.test_seed_story import sign_in
from tests.register.ui_cast import make_ui_cast

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_changed_pages_have_no_violations(new_page, live_server, register_reference_data):
    cast = make_ui_cast()
    issue = cast.published()
    cause = statement_add(
        issue=issue, actor=cast.manufacturer_user, kind="root_cause", text="A timer resets."
    )
    statement_add(issue=issue, actor=cast.admin_a, kind="root_cause", text="Checked: a timer.")
    statement_add(
        issue=issue, actor=cast.other_supplier, kind="challenge", text="Not so.", challenges=cause
    )
    draft = cast.draft(title="A draft to edit")
    violations: list[str] = []
    for user, paths in [
        (
            cast.admin_a,
            [f"/issues/{issue.human_id}/", f"/issues/{issue.human_id}/statements/new/"],
        ),
        (cast.reporter, ["/issues/new/", f"/issues/{draft.human_id}/edit/"]),
    ]:
        page = new_page()
        sign_in(page, user.username)
        for path in paths:
            page.goto(path)
            page.wait_for_load_state("networkidle")
            violations += axe_violations(page)
    assert violations == []
