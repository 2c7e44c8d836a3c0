"""Every write to the register. Keyword-only, typed, one transaction each, audited.

Refusals raise kir.register.errors (PermissionRefused, TransitionRefused, VersionConflict,
ValidationFailed); views and the API turn them into messages.
"""

from kir.register.services.evidence import evidence_add
from kir.register.services.involvements import coordinator_assign, involvement_set
from kir.register.services.issues import issue_create_draft, issue_update
from kir.register.services.language import language_override
from kir.register.services.notices import (
    manufacturer_acknowledge,
    manufacturer_dispute,
    manufacturer_notices_send_missing,
)
from kir.register.services.policy import policy_in_force, policy_update
from kir.register.services.publication import pending_proposal, publication_blockers
from kir.register.services.statements import statement_add
from kir.register.services.transitions import issue_transition

__all__ = [
    "coordinator_assign",
    "evidence_add",
    "involvement_set",
    "issue_create_draft",
    "issue_transition",
    "issue_update",
    "language_override",
    "manufacturer_acknowledge",
    "manufacturer_dispute",
    "manufacturer_notices_send_missing",
    "pending_proposal",
    "policy_in_force",
    "policy_update",
    "publication_blockers",
    "statement_add",
]
