"""Template helpers for the register pages."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString

from kir.register.models import IssueState
from kir.register.rendering import render_markdown
from kir.register.workflow import get_transition

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str) -> SafeString:
    return render_markdown(text)


@register.filter(name="step_label")
def step_label(change: Any) -> str:
    """How a timeline row reads: the workflow step's label, or what the creation was."""
    if change.transition == "create":
        return "Reported as a draft"
    step = get_transition(change.transition)
    return step.label if step else change.transition.replace("_", " ").capitalize()


@register.filter(name="state_label")
def state_label(value: str) -> str:
    return IssueState(value).label if value in IssueState.values else value


@register.simple_tag(takes_context=True)
def query_with(context: dict[str, Any], **changes: Any) -> str:
    """The current query string with some parameters replaced (pagination and sort links)."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    return params.urlencode()
