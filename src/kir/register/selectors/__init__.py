"""Reads of the register that depend on who asks.

Import from here (`from kir.register.selectors import issues_visible_to`). Who may see what is
decided in one module, `visibility`; the others read through it: `filters` (filters, text search
and sort orders), `search` (the list, search and paging), `procurement` (the procurement check).
"""

from kir.register.procurement_input import (
    MAX_PROCUREMENT_ITEMS,
    ProcurementItem,
    ProcurementLineError,
    parse_procurement_line,
    parse_procurement_text,
    procurement_item,
    procurement_item_for_version,
)
from kir.register.selectors.filters import (
    DEFAULT_SORT,
    SORT_ALIASES,
    SORTS,
    IssueFilters,
    filters_q,
    text_search_q,
)
from kir.register.selectors.procurement import (
    MAX_PROCUREMENT_PAGE_SIZE,
    PROCUREMENT_PAGE_SIZE,
    ProcurementMatch,
    ProcurementProduct,
    ProcurementResult,
    ProcurementRow,
    ProcurementRowsResult,
    procurement_check,
    procurement_check_rows,
)
from kir.register.selectors.search import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    IssuePage,
    issue_search,
    issue_search_queryset,
    issue_search_values,
)
from kir.register.selectors.visibility import (
    OVERSIGHT_CATEGORIES,
    actor_shown_to,
    evidence_get_visible,
    evidence_visible_to,
    is_named_manufacturer,
    issue_get_visible,
    issue_is_visible_to,
    issues_visible_to,
    named_manufacturer_issue_ids,
    named_manufacturer_organisations,
    named_manufacturers,
    public_states_for,
    statements_visible_to,
    visibility_q,
)

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "DEFAULT_SORT",
    "MAX_PAGE_SIZE",
    "MAX_PROCUREMENT_ITEMS",
    "MAX_PROCUREMENT_PAGE_SIZE",
    "OVERSIGHT_CATEGORIES",
    "PROCUREMENT_PAGE_SIZE",
    "SORTS",
    "SORT_ALIASES",
    "IssueFilters",
    "IssuePage",
    "ProcurementItem",
    "ProcurementLineError",
    "ProcurementMatch",
    "ProcurementProduct",
    "ProcurementResult",
    "ProcurementRow",
    "ProcurementRowsResult",
    "actor_shown_to",
    "evidence_get_visible",
    "evidence_visible_to",
    "filters_q",
    "is_named_manufacturer",
    "issue_get_visible",
    "issue_is_visible_to",
    "issue_search",
    "issue_search_queryset",
    "issue_search_values",
    "issues_visible_to",
    "named_manufacturer_issue_ids",
    "named_manufacturer_organisations",
    "named_manufacturers",
    "parse_procurement_line",
    "parse_procurement_text",
    "procurement_check",
    "procurement_check_rows",
    "procurement_item",
    "procurement_item_for_version",
    "public_states_for",
    "statements_visible_to",
    "text_search_q",
    "visibility_q",
]
