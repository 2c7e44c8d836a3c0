"""One workflow step as a form with its reason. Approving publication and notifying the
manufacturer first show what will be recorded and sent (services/previews.py), and carry its
fingerprint so the step refuses if that changed before the button was pressed."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_http_methods

from kir.accounts.models import User
from kir.register.errors import PreviewOutdated, VersionConflict
from kir.register.forms import TransitionForm
from kir.register.models import Issue, IssueState
from kir.register.preview_presenter import preview_context
from kir.register.selectors import issue_get_visible
from kir.register.services import issue_transition
from kir.register.services.previews import StepPreview, step_preview
from kir.register.services.transitions import transition_blockers
from kir.register.views.common import FormPage, acting_user, done
from kir.register.workflow import Transition, get_transition


def _not_for_this_user(step: Transition, user: User, issue: Issue) -> str:
    """Why the user cannot take the step at all, and who can (the issue page's words)."""
    if issue.state not in step.sources:
        state = issue.get_state_display().lower()
        return f"{step.label} is not possible while the issue is {state}."
    if not step.allows(user, issue):
        return f"{step.label} needs {step.who_may()}."
    return ""


def _form(
    step: Transition, preview: StepPreview | None, data: Any = None, **initial: Any
) -> TransitionForm:
    if preview is not None:
        initial["previewed"] = preview.fingerprint
    return TransitionForm(
        data,
        initial=initial,
        reason_required=step.needs_reason,
        previewed=preview is not None,
    )


def _show(page: FormPage, user: User, issue: Issue, preview: StepPreview | None) -> None:
    page.context["issue"] = issue
    page.context.update(preview_context(user, issue, preview))


def _page(request: HttpRequest, issue: Issue, step: Transition) -> FormPage:
    return FormPage(
        request,
        "register/transition.html",
        issue=issue,
        step=step,
        transition_label=step.label,
        target_label=IssueState(step.target).label if step.target != issue.state else "",
    )


@login_required
@require_http_methods(["GET", "POST"])
def issue_transition_view(request: HttpRequest, human_id: str, name: str) -> HttpResponse:
    """A refusal says why and who may take the step; every unmet condition is listed."""
    user = acting_user(request)
    issue = issue_get_visible(user=user, human_id=human_id)
    step = get_transition(name)
    if step is None:
        raise Http404("No such step.")
    page = _page(request, issue, step)
    if refusal := _not_for_this_user(step, user, issue):
        return page.refused(refusal)
    preview = step_preview(name, issue, user)
    _show(page, user, issue, preview)
    if request.method == "GET":
        page.context["form"] = _form(step, preview, expected_version=issue.version)
        if blockers := transition_blockers(step, issue, user):
            # What the step would refuse is said now, and no button offers it.
            page.context.update(
                refusal_reasons=blockers,
                refusal_title=f"{step.label} is not possible yet",
                blocked=True,
            )
        return page.render()
    form = _form(step, preview, request.POST)
    page.context["form"] = form
    if form.is_valid():
        with page.refusals_shown_on(form):
            issue = issue_transition(
                issue=issue,
                actor=user,
                transition=name,
                reason=form.cleaned_data["reason"],
                expected_version=form.cleaned_data["expected_version"],
                previewed=form.cleaned_data["previewed"] or None,
            )
            state = IssueState(issue.state).label.lower()
            return done(request, issue, f"{step.label}: done. {issue.human_id} is {state}.")
    if isinstance(page.refusal, VersionConflict | PreviewOutdated):
        # Show what the step would do now; sending the form again applies it to that.
        issue = issue_get_visible(user=user, human_id=human_id)
        preview = step_preview(name, issue, user)
        _show(page, user, issue, preview)
        page.context["form"] = _form(
            step, preview, **{**form.cleaned_data, "expected_version": issue.version}
        )
    if page.context.get("refusal_reasons"):
        # Screen readers announce the refusal when the reason field is focused again.
        page.context["form"].fields["reason"].widget.attrs["aria-describedby"] = "refusal"
    return page.render()
