"""Every kind of event the audit log records, one member each (Zulip's AuditLogEventType).

The values are the verbs stored in `AuditEvent.verb` and hashed into the chain, so a value never
changes once released: rename the member, not the string. Each label says what the event records.
"""

from __future__ import annotations

from django.db import models


class AuditEventType(models.TextChoices):
    TOKEN_CREATED = "accounts.token_created", "A user created a personal API token"
    TOKEN_REVOKED = "accounts.token_revoked", "An API token was revoked"
    ORGANISATION_CREATED = "accounts.organisation_created", "An organisation was created"
    ORGANISATION_CHANGED = "accounts.organisation_changed", "An organisation's fields changed"
    ORGANISATION_DELETED = "accounts.organisation_deleted", "An organisation was deleted"
    USER_CREATED = "accounts.user_created", "A user account was created"
    USER_CHANGED = "accounts.user_changed", "A user's fields, organisation or role changed"
    USER_DELETED = "accounts.user_deleted", "A user account was deleted"
    PASSWORD_CHANGED = "accounts.password_changed", "A user changed their own password"
    PASSWORD_RESET = "accounts.password_reset", "Someone else set or disabled a user's password"
    SIGN_IN_UNLOCKED = (
        "accounts.sign_in_unlocked",
        "SECAS cleared a user's failed sign-in attempts before the pause ended",
    )

    MANUFACTURER_CREATED = "catalogue.manufacturer_created", "A manufacturer was added"
    MANUFACTURER_CHANGED = "catalogue.manufacturer_changed", "A manufacturer's name changed"
    MANUFACTURER_ORGANISATION_CHANGED = (
        "catalogue.manufacturer_organisation_changed",
        "The organisation speaking for a manufacturer changed",
    )
    DEVICE_MODEL_CREATED = "catalogue.device_model_created", "A device model was added"
    DEVICE_MODEL_CHANGED = "catalogue.device_model_changed", "A device model's fields changed"
    DEVICE_VERSION_CREATED = "catalogue.device_version_created", "A device version was added"
    DEVICE_VERSION_CHANGED = (
        "catalogue.device_version_changed",
        "A device version's CPL entry, status or dates changed",
    )
    DMC_CREATED = "catalogue.dmc_created", "A device model combination was first seen"
    DMC_CHANGED = "catalogue.dmc_changed", "A device model combination's name or regions changed"
    CPL_IMPORTED = "catalogue.cpl_imported", "A CPL import created or changed catalogue rows"

    ISSUE_CREATED = "issue.created", "An issue was filed as a draft"
    ISSUE_UPDATED = "issue.updated", "An issue's fields or affected products were edited"
    ISSUE_SUBMITTED = "issue.submitted", "A draft was submitted for assessment"
    ISSUE_REJECTED = "issue.rejected", "A draft or assessed issue was rejected, with a reason"
    ISSUE_MANUFACTURER_NOTIFIED = (
        "issue.manufacturer_notified",
        "An issue under assessment moved to manufacturer notified",
    )
    ISSUE_RETURNED_TO_ASSESSMENT = (
        "issue.returned_to_assessment",
        "A notified issue went back to assessment, with a reason",
    )
    ISSUE_PUBLICATION_PROPOSED = (
        "issue.publication_proposed",
        "An administrator proposed publishing an issue",
    )
    ISSUE_PUBLICATION_PROPOSAL_CANCELLED = (
        "issue.publication_proposal_cancelled",
        "A publication proposal was cancelled",
    )
    ISSUE_PUBLISHED = "issue.published", "A second administrator published an issue"
    ISSUE_RESOLVED = "issue.resolved", "A published issue was marked resolved"
    ISSUE_CLOSED = "issue.closed", "A resolved issue was closed"
    ISSUE_WITHDRAWN = (
        "issue.withdrawn",
        "A published or resolved issue was withdrawn, with a reason",
    )
    ISSUE_REOPENED = "issue.reopened", "A resolved or closed issue was reopened, with a reason"
    ISSUE_RECONSIDERED = (
        "issue.reconsidered",
        "A rejected issue went back to assessment on new evidence",
    )
    ISSUE_COORDINATOR_ASSIGNED = (
        "issue.coordinator_assigned",
        "An organisation was asked to coordinate an issue",
    )
    ISSUE_DISPUTED = "issue.disputed", "A manufacturer disputed an issue, with a rationale"
    NOTICE_SENT = "notice.sent", "A named manufacturer's organisation was sent a notice"
    NOTICE_ACKNOWLEDGED = "notice.acknowledged", "A manufacturer acknowledged a notice"
    EVIDENCE_ADDED = "evidence.added", "Evidence was attached to an issue"
    INVOLVEMENT_SET = "involvement.set", "An organisation's involvement status in an issue was set"
    STATEMENT_ADDED = "statement.added", "A statement was added to an issue"
    POLICY_UPDATED = "policy.updated", "A new version of the threshold policy was put in force"
    TRACKER_EDITION_PROPOSED = (
        "tracker.edition_proposed",
        "A SECAS administrator proposed a tracker edition of a run's findings",
    )
    TRACKER_EDITION_PUBLISHED = (
        "tracker.edition_published",
        "A second SECAS administrator approved a tracker edition, which went out to Parties",
    )
    TRACKER_EDITION_CANCELLED = (
        "tracker.edition_cancelled",
        "A SECAS administrator cancelled a proposed tracker edition before its approval",
    )
    TRACKER_EDITION_WITHDRAWN = (
        "tracker.edition_withdrawn",
        "A SECAS administrator withdrew a published tracker edition, with a reason",
    )
    TRACKER_NOTICE_SENT = (
        "tracker.notice_sent",
        "A manufacturer was told its component appears in a tracker finding for the first time",
    )
    TRACKER_ISSUE_RAISED = (
        "tracker.issue_raised",
        "A draft issue was raised from a tracker finding, its figures attached as evidence",
    )
    TRACKER_RESPONSE_ADDED = (
        "tracker.response_added",
        "A manufacturer added a response shown beside a tracker finding",
    )

    FEED_KEY_RENEWED = (
        "notify.feed_key_renewed",
        "A user made a new Atom feed address, ending any older one",
    )
    FEED_KEY_REVOKED = "notify.feed_key_revoked", "A user revoked their Atom feed address"
    TRACKER_RUN_QUEUED = "tracker.run_queued", "A tracker run was queued for the worker"
    TRACKER_RUN_SUCCEEDED = (
        "tracker.run_succeeded",
        "A tracker run finished and its findings were stored",
    )
    TRACKER_SUPPLIER_CODE_SET = (
        "tracker.supplier_code_set",
        "An inventory supplier id was assigned to an organisation (or its assignment removed)",
    )
    TRACKER_RUN_FAILED = (
        "tracker.run_failed",
        "A tracker run ended failed, with the engine's message",
    )
    WEBHOOK_CREATED = "notify.webhook_created", "An organisation's webhook endpoint was created"
    WEBHOOK_SECRET_ROTATED = (
        "notify.webhook_secret_rotated",
        "A webhook endpoint got a new signing secret; the old one signs until its overlap ends",
    )
    WEBHOOK_ENABLED = "notify.webhook_enabled", "A webhook endpoint was enabled again"
    WEBHOOK_DISABLED = (
        "notify.webhook_disabled",
        "A webhook endpoint was disabled (by an administrator, a 410 or repeated failures)",
    )
    WEBHOOK_DELETED = "notify.webhook_deleted", "A webhook endpoint was deleted"
    MAIL_UNSUBSCRIBED = "notify.unsubscribed", "A user stopped one stream of e-mail"
    SUBSCRIPTIONS_CHANGED = (
        "notify.subscriptions_changed",
        "A user changed their subscriptions or e-mail preferences",
    )
    BULLETIN_SENT = "notify.bulletin_sent", "SECAS sent a bulletin to SEC Parties"
    OUTBOX_RETRIED = (
        "outbox.retried",
        "A SECAS administrator gave a failed delivery a fresh set of attempts",
    )

    PHRASE_CREATED = "language.phrase_created", "A prohibited phrase was added"
    PHRASE_CHANGED = "language.phrase_changed", "A prohibited phrase was edited"
    PHRASE_DELETED = "language.phrase_deleted", "A prohibited phrase was deleted"
    LANGUAGE_OVERRIDDEN = (
        "language.overridden",
        "A SECAS administrator accepted a flagged phrase in an issue's text",
    )

    ESTATE_SAVED = "estate.saved", "A supplier saved an estate for its organisation"
    ESTATE_DELETED = "estate.deleted", "A supplier deleted a saved estate"
