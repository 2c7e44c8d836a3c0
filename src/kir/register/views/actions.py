"""Forms that act on one issue: workflow steps, statements, the manufacturer's reply, evidence."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from kir.register.errors import (
    PermissionRefused,
    TransitionRefused,
    ValidationFailed,
    VersionConflict,
)
from kir.register.forms import (
    EvidenceForm,
    LanguageOverrideForm,
    ManufacturerResponseForm,
    StatementForm,
    TransitionForm,
)
from kir.register.models import IssueState
from kir.register.permissions import (
    may_override_language,
    may_respond_as_manufacturer,
    may_upload_evidence,
)
from kir.register.presenters import language_hits_for, statement_kinds_for
from kir.register.selectors import evidence_get_visible, issue_get_visible, statements_visible_to
from kir.register.services import (
    evidence_add,
    issue_transition,
    language_override,
    manufacturer_acknowledge,
    manufacturer_dispute,
    statement_add,
)
from kir.register.views.common import (
    acting_user,
    field_errors,
    refusals_shown_on,
    render_form,
    render_refused,
)
from kir.register.workflow import get_transition, user_can_take


def _transition_context(issue: Any, step: Any, form: TransitionForm) -> dict[str, Any]:
    return {
        "issue": issue,
        "form": form,
        "transition_label": step.label,
        "target_label": IssueState(step.target).label if step.target != issue.state else "",
        "reason_required": step.needs_reason,
    }


@login_required
@require_http_methods(["GET", "POST"])
def issue_transition_view(request: HttpRequest, human_id: str, name: str) -> HttpResponse:
    """One workflow step as a form with its reason. Only steps the user may take are offered;
    a refusal lists every unmet condition the service reports."""
    user = acting_user(request)
    issue = issue_get_visible(user=user, human_id=human_id)
    step = get_transition(name)
    if step is None or not user_can_take(user=user, issue=issue, transition=name):
        raise Http404("No such step for this issue.")
    if request.method == "GET":
        form = TransitionForm(initial={"expected_version": issue.version})
        return render(request, "register/transition.html", _transition_context(issue, step, form))
    form = TransitionForm(request.POST)
    context = _transition_context(issue, step, form)
    if form.is_valid():
        try:
            issue_transition(
                issue=issue,
                actor=user,
                transition=name,
                reason=form.cleaned_data["reason"],
                expected_version=form.cleaned_data["expected_version"],
            )
        except TransitionRefused as refusal:
            context["refusal_reasons"] = refusal.reasons
        except VersionConflict as conflict:
            context["refusal_title"] = "The issue changed while you were looking at it"
            context["refusal_reasons"] = [str(conflict)]
            context["form"] = TransitionForm(
                initial={"expected_version": conflict.current.version, **form.cleaned_data}
            )
            return render(request, "register/transition.html", context, status=409)
        except (PermissionRefused, ValidationFailed) as refusal:
            context["refusal_reasons"] = _messages(refusal)
        else:
            return redirect("register:detail", human_id=issue.human_id)
    if context.get("refusal_reasons"):
        # Screen readers announce the refusal when the reason field is focused again.
        form.fields["reason"].widget.attrs["aria-describedby"] = "refusal"
    return render(request, "register/transition.html", context, status=422)


def _messages(refusal: Exception) -> list[str]:
    if isinstance(refusal, ValidationFailed):
        return field_errors(refusal.errors)
    return [str(refusal)]


@login_required
@require_http_methods(["GET", "POST"])
def statement_create(request: HttpRequest, human_id: str) -> HttpResponse:
    user = acting_user(request)
    issue = issue_get_visible(user=user, human_id=human_id)
    kinds = statement_kinds_for(user=user, issue=issue)
    if not kinds:
        reason = "You may not add statements to this issue."
        return render_refused(request, "register/statement_form.html", reason, issue=issue)
    statements = list(statements_visible_to(user=user, issue=issue))
    initial = {name: request.GET.get(name) for name in ("kind", "challenges", "supersedes")}
    form = StatementForm(request.POST or None, initial=initial, kinds=kinds, statements=statements)
    context: dict[str, Any] = {"issue": issue, "form": form}
    if request.method == "POST" and form.is_valid():
        try:
            statement_add(
                issue=issue,
                actor=user,
                kind=form.cleaned_data["kind"],
                text=form.cleaned_data["text"],
                supersedes=form.statement("supersedes"),
                challenges=form.statement("challenges"),
            )
        except ValidationFailed as error:
            context["refusal_reasons"] = field_errors(error.errors)
        except PermissionRefused as refusal:
            context["refusal_reasons"] = [str(refusal)]
        else:
            return redirect("register:detail", human_id=issue.human_id)
    return render_form(request, "register/statement_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def manufacturer_response(request: HttpRequest, human_id: str) -> HttpResponse:
    """A named manufacturer acknowledges the notice or disputes the issue with a rationale."""
    user = acting_user(request)
    issue = issue_get_visible(user=user, human_id=human_id)
    template = "register/manufacturer_response.html"
    if not may_respond_as_manufacturer(user, issue):
        reason = "Only an organisation speaking for a named manufacturer may respond."
        return render_refused(request, template, reason, issue=issue)
    form = ManufacturerResponseForm(request.POST or None)
    context: dict[str, Any] = {"issue": issue, "form": form}
    if request.method == "POST" and form.is_valid():
        with refusals_shown_on(form, context):
            if form.cleaned_data["response"] == "dispute":
                rationale = form.cleaned_data["rationale"]
                manufacturer_dispute(issue=issue, actor=user, rationale=rationale)
                return redirect("register:detail", human_id=issue.human_id)
            manufacturer_acknowledge(issue=issue, actor=user)
            messages.success(request, "Acknowledged. You can now add your statement.")
            return redirect("register:statement_create", human_id=issue.human_id)
    return render_form(request, template, context)


@login_required
@require_GET
def evidence_download(request: HttpRequest, human_id: str, evidence_id: int) -> FileResponse:
    """An attachment, only when the selectors let this user see it (404 otherwise)."""
    user = acting_user(request)
    issue = issue_get_visible(user=user, human_id=human_id)
    evidence = evidence_get_visible(user=user, issue=issue, evidence_id=evidence_id)
    name = (evidence.file.name or "evidence").rsplit("/", 1)[-1]
    return FileResponse(evidence.file.open("rb"), as_attachment=True, filename=name)


@login_required
@require_http_methods(["GET", "POST"])
def language_override_view(request: HttpRequest, human_id: str) -> HttpResponse:
    """SECAS administrators let a flagged phrase stand, with a recorded justification; the
    override holds for the exact current wording only."""
    user = acting_user(request)
    issue = issue_get_visible(user=user, human_id=human_id)
    template = "register/language_override.html"
    if not may_override_language(user):
        reason = "Only SECAS administrators may override the check."
        return render_refused(request, template, reason, issue=issue)
    hits = language_hits_for(user=user, issue=issue)
    form = LanguageOverrideForm(request.POST or None, hits=hits)
    context: dict[str, Any] = {"issue": issue, "form": form if hits else None, "hits": hits}
    if request.method == "POST" and form.is_valid():
        field, phrase = form.cleaned_data["hit"].split("|", 1)
        with refusals_shown_on(form, context):
            language_override(
                issue=issue,
                actor=user,
                field=field,
                phrase=phrase,
                justification=form.cleaned_data["justification"],
            )
            messages.success(request, f'The wording "{phrase}" may stand; your reason is recorded.')
            return redirect("register:detail", human_id=issue.human_id)
    return render_form(request, template, context)


@login_required
@require_http_methods(["GET", "POST"])
def evidence_create(request: HttpRequest, human_id: str) -> HttpResponse:
    user = acting_user(request)
    issue = issue_get_visible(user=user, human_id=human_id)
    template = "register/evidence_form.html"
    if not may_upload_evidence(user, issue):
        reason = "You may not add evidence to this issue."
        return render_refused(request, template, reason, issue=issue)
    form = EvidenceForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {"issue": issue, "form": form}
    if request.method == "POST" and form.is_valid():
        with refusals_shown_on(form, context):
            evidence_add(issue=issue, actor=user, **form.cleaned_data)
            return redirect("register:detail", human_id=issue.human_id)
    return render_form(request, template, context)
