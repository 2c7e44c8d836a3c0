"""Refusals raised by the register's services; views and the API turn them into messages."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kir.register.models import Issue


class RegisterError(Exception):
    """Base of every refusal; `str()` is a sentence fit to show the user."""


class PermissionRefused(RegisterError):
    """The actor's role or organisation does not allow the action."""


class TransitionRefused(RegisterError):
    """A workflow step was refused; `reasons` lists every unmet condition, not just the first."""

    def __init__(self, reasons: list[str]) -> None:
        self.reasons = list(reasons)
        super().__init__("; ".join(self.reasons))


class VersionConflict(RegisterError):
    """Someone else saved the issue since the caller read it; `current` is the saved state."""

    def __init__(self, current: Issue) -> None:
        self.current = current
        super().__init__(
            f"{current.human_id} was changed by someone else (now version {current.version}); "
            "review their changes and apply yours again"
        )


class Conflict(RegisterError):
    """The action clashes with work already under way (answered 409, as a version conflict)."""


class ValidationFailed(RegisterError):
    """Bad input; `errors` maps a field name to its messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = {field: list(messages) for field, messages in errors.items()}
        super().__init__(
            "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in self.errors.items())
        )


class PreviewOutdated(RegisterError):
    """What the page previewed (the record, the notices) is no longer what the step would record
    or send; `sections` names the parts that changed, in words."""

    def __init__(self, sections: list[str]) -> None:
        self.sections = list(sections)
        changed = ", ".join(self.sections) or "what it would record"
        super().__init__(
            f"Since you opened this page, {changed} changed. Nothing was done: check the "
            "updated preview and confirm again if it is still right."
        )
