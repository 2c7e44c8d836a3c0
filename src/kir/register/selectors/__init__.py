"""Reads of the register that depend on who asks: the ONLY place that decides what a user may see.

Import from here (`from kir.register.selectors import issues_visible_to`); the submodules split
the code by subject, not by rule: every visibility rule is in `issues.visibility_q`.
"""

from kir.register.selectors.issues import (
    DEFAULT_PAGE_SIZE,
    DEFAULT_SORT,
    MAX_PAGE_SIZE,
    SORT_ALIASES,
    SORTS,
    IssueFilters,
    IssuePage,
    evidence_get_visible,
    evidence_visible_to,
    filters_q,
    issue_get_visible,
    issue_manufacturer_organisations,
    issue_search,
    issue_search_queryset,
    issues_visible_to,
    named_manufacturer_q,
    statements_visible_to,
    text_search_q,
    visibility_q,
)
from kir.register.selectors.procurement import (
    MAX_PROCUREMENT_ITEMS,
    ProcurementItem,
    ProcurementLineError,
    ProcurementMatch,
    ProcurementResult,
    parse_procurement_text,
    procurement_check,
    procurement_item,
    procurement_item_for_version,
)

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "DEFAULT_SORT",
    "MAX_PAGE_SIZE",
    "MAX_PROCUREMENT_ITEMS",
    "SORTS",
    "SORT_ALIASES",
    "IssueFilters",
    "IssuePage",
    "ProcurementItem",
    "ProcurementLineError",
    "ProcurementMatch",
    "ProcurementResult",
    "evidence_get_visible",
    "evidence_visible_to",
    "filters_q",
    "issue_get_visible",
    "issue_manufacturer_organisations",
    "issue_search",
    "issue_search_queryset",
    "issues_visible_to",
    "named_manufacturer_q",
    "parse_procurement_text",
    "procurement_check",
    "procurement_item",
    "procurement_item_for_version",
    "statements_visible_to",
    "text_search_q",
    "visibility_q",
]
