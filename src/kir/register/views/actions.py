"""Forms that act on one issue: statements, the manufacturer's reply, evidence, wording."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET, require_http_methods

from kir.register.forms import (
    EvidenceForm,
    LanguageOverrideForm,
    ManufacturerResponseForm,
    StatementForm,
)
from kir.register.permissions import (
    may_override_language,
    may_respond_as_manufacturer,
    may_supersede,
    may_upload_evidence,
)
from kir.register.presenters import language_hits_for, statement_kinds_for
from kir.register.selectors import evidence_get_visible, issue_get_visible, statements_visible_to
from kir.register.services import (
    evidence_add,
    language_override,
    manufacturer_acknowledge,
    manufacturer_dispute,
    statement_add,
)
from kir.register.views.common import FormPage, acting_user, done


@login_required
@require_http_methods(["GET", "POST"])
def statement_create(request: HttpRequest, human_id: str) -> HttpResponse:
    user = acting_user(request)
    issue = issue_get_visible(user=user, human_id=human_id)
    page = FormPage(request, "register/statement_form.html", issue=issue)
    kinds = statement_kinds_for(user=user, issue=issue)
    if not kinds:
        return page.refused("You may not add statements to this issue.")
    statements = list(statements_visible_to(user=user, issue=issue))
    superseded = {s.supersedes_id for s in statements}
    supersedable = [s for s in statements if s.pk not in superseded and may_supersede(user, s)]
    initial = {name: request.GET.get(name) for name in ("kind", "challenges", "supersedes")}
    form = StatementForm(
        request.POST or None,
        initial=initial,
        kinds=kinds,
        statements=statements,
        supersedable=supersedable,
    )
    page.context["form"] = form
    if request.method == "POST" and form.is_valid():
        with page.refusals_shown_on(form):
            statement = statement_add(
                issue=issue,
                actor=user,
                kind=form.cleaned_data["kind"],
                text=form.cleaned_data["text"],
                supersedes=form.statement("supersedes"),
                challenges=form.statement("challenges"),
            )
            kind = statement.get_kind_display().lower()
            return done(request, issue, f"Your {kind} statement is added.", "statements-heading")
    return page.render()


@login_required
@require_http_methods(["GET", "POST"])
def manufacturer_response(request: HttpRequest, human_id: str) -> HttpResponse:
    """A named manufacturer acknowledges the notice or disputes the issue with a rationale."""
    user = acting_user(request)
    issue = issue_get_visible(user=user, human_id=human_id)
    page = FormPage(request, "register/manufacturer_response.html", issue=issue)
    if not may_respond_as_manufacturer(user, issue):
        return page.refused("Only an organisation speaking for a named manufacturer may respond.")
    form = ManufacturerResponseForm(request.POST or None)
    page.context["form"] = form
    if request.method == "POST" and form.is_valid():
        with page.refusals_shown_on(form):
            if form.cleaned_data["response"] == "dispute":
                rationale = form.cleaned_data["rationale"]
                manufacturer_dispute(issue=issue, actor=user, rationale=rationale)
                return done(request, issue, "Your dispute is recorded: the issue shows it.")
            manufacturer_acknowledge(issue=issue, actor=user)
            return done(
                request,
                issue,
                "Acknowledged. Add your root cause, remediation or response when you have it.",
            )
    return page.render()


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
    page = FormPage(request, "register/language_override.html", issue=issue)
    if not may_override_language(user):
        return page.refused("Only SECAS administrators may override the check.")
    hits = language_hits_for(user=user, issue=issue)
    form = LanguageOverrideForm(request.POST or None, hits=hits)
    page.context.update(form=form if hits else None, hits=hits)
    if request.method == "POST" and form.is_valid():
        field, phrase = form.cleaned_data["hit"].split("|", 1)
        with page.refusals_shown_on(form):
            language_override(
                issue=issue,
                actor=user,
                field=field,
                phrase=phrase,
                justification=form.cleaned_data["justification"],
            )
            return done(
                request, issue, f'The wording "{phrase}" may stand; your reason is recorded.'
            )
    return page.render()


@login_required
@require_http_methods(["GET", "POST"])
def evidence_create(request: HttpRequest, human_id: str) -> HttpResponse:
    user = acting_user(request)
    issue = issue_get_visible(user=user, human_id=human_id)
    page = FormPage(request, "register/evidence_form.html", issue=issue)
    if not may_upload_evidence(user, issue):
        return page.refused("You may not add evidence to this issue.")
    form = EvidenceForm(request.POST or None, request.FILES or None)
    page.context["form"] = form
    if request.method == "POST" and form.is_valid():
        with page.refusals_shown_on(form):
            evidence_add(issue=issue, actor=user, **form.cleaned_data)
            return done(request, issue, "Your evidence is added.", "evidence-heading")
    return page.render()
