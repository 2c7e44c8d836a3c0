"""The register's pages: thin views that parse input, call a service or selector, and render."""

from kir.register.views.actions import (
    evidence_create,
    evidence_download,
    language_override_view,
    manufacturer_response,
    statement_create,
)
from kir.register.views.browse import issue_list
from kir.register.views.export import issue_export_csv, issue_export_xlsx
from kir.register.views.issue import issue_create, issue_detail, issue_edit
from kir.register.views.policy import policy_page
from kir.register.views.procurement import procurement_check_page
from kir.register.views.transition import issue_transition_view

__all__ = [
    "evidence_create",
    "evidence_download",
    "issue_create",
    "issue_detail",
    "issue_edit",
    "issue_export_csv",
    "issue_export_xlsx",
    "issue_list",
    "issue_transition_view",
    "language_override_view",
    "manufacturer_response",
    "policy_page",
    "procurement_check_page",
    "statement_create",
]
