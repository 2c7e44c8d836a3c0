"""The issue page, reporting a draft and editing with optimistic locking."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from kir.catalogue.models import Region
from kir.register.errors import VersionConflict
from kir.register.forms import (
    AffectedProductFormSet,
    IssueEditForm,
    IssueForm,
    products_from,
)
from kir.register.models import Issue, IssueState
from kir.register.permissions import (
    may_add_statement,
    may_edit_issue,
    may_override_language,
    may_report,
    may_respond_as_manufacturer,
    may_upload_evidence,
)
from kir.register.presenters import (
    IssueDetail,
    IssueSteps,
    issue_detail_for,
    issue_steps,
    language_hits_for,
    publication_status_for,
)
from kir.register.selectors import issue_get_visible
from kir.register.services import issue_create_draft, issue_update
from kir.register.views.common import Action, FormPage, acting_user, done
from kir.register.views.product_picker import form_context, is_htmx, picker_step, picks_fragment

ISSUE_FIELDS = tuple(IssueForm.base_fields)


def _actions(detail: IssueDetail, request: HttpRequest, steps: IssueSteps) -> list[Action]:
    user, issue = acting_user(request), detail.issue
    human_id = issue.human_id
    actions = []
    if may_edit_issue(user, issue):
        actions.append(Action("Edit", reverse("register:edit", args=[human_id])))
    if may_respond_as_manufacturer(user, issue):
        url = reverse("register:manufacturer_response", args=[human_id])
        actions.append(Action("Respond as manufacturer", url))
    if may_add_statement(user, issue):
        url = reverse("register:statement_create", args=[human_id])
        actions.append(Action("Add a statement", url))
    if may_upload_evidence(user, issue):
        url = reverse("register:evidence_create", args=[human_id])
        actions.append(Action("Add evidence", url))
    if language_hits_for(user=user, issue=issue):
        url = reverse("register:language_override", args=[human_id])
        actions.append(Action("Review flagged wording", url))
    for step in steps.offered:
        url = reverse("register:transition", args=[human_id, step.name])
        actions.append(Action(step.label, url))
    return actions


@login_required
@require_GET
def issue_detail(request: HttpRequest, human_id: str) -> HttpResponse:
    user = acting_user(request)
    detail = issue_detail_for(user=user, human_id=human_id)
    steps = issue_steps(user=user, issue=detail.issue)
    context: dict[str, Any] = {
        "issue": detail.issue,
        "detail": detail,
        "regions": detail.region_labels,
        "products": detail.products,
        "history": detail.history(user),
        "involvements": detail.involvements,
        "notices": detail.notices,
        "evidence": detail.evidence,
        "withdrawal": detail.last_change_to(IssueState.WITHDRAWN),
        "rejection": detail.last_change_to(IssueState.REJECTED),
        "actions": _actions(detail, request, steps),
        "steps_not_offered": steps.not_offered,
        "can_add_statement": may_add_statement(user, detail.issue),
    }
    publication = publication_status_for(user=user, issue=detail.issue)
    if publication is not None:
        context.update(vars(publication))
    return render(request, "register/detail.html", context)


def _formset_errors(formset: Any) -> list[dict[str, str]]:
    """Product-row errors for the error summary, each linked to its field where it has one."""
    if not formset.is_bound:
        return []
    errors = [{"text": str(e), "anchor": "product-rows"} for e in formset.non_form_errors()]
    for number, form in enumerate(formset.forms, start=1):
        for name, messages in form.errors.items():
            # A hidden field (the picked product's id) has nothing to focus: link to its row.
            anchor = form[name].error_anchor if name in form.fields else ""
            anchor = anchor or f"product-row-{number}"
            errors += [{"text": f"Product {number}: {m}", "anchor": anchor} for m in messages]
    return errors


def _picker_answer(
    request: HttpRequest, page: FormPage, form_class: type[IssueForm], **form_kwargs: Any
) -> HttpResponse | None:
    """The answer to a product picker request (a search, an added row), or None for the form's
    own GET or save."""
    if request.method == "GET":
        return picks_fragment(request) if is_htmx(request) else None
    step = picker_step(request, form_class, **form_kwargs)
    if step is None or isinstance(step, HttpResponse):
        return step
    page.status = 200
    page.context.update(step)
    return page.render()


@login_required
@require_http_methods(["GET", "POST"])
def issue_create(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    page = FormPage(request, "register/issue_form.html")
    if not may_report(user):
        return page.refused("Your role may not report issues.")
    if (answer := _picker_answer(request, page, IssueForm)) is not None:
        return answer
    form = IssueForm(request.POST or None)
    formset = AffectedProductFormSet(request.POST or None, prefix="products")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        with page.refusals_shown_on(form):
            products = products_from(formset)
            issue = issue_create_draft(actor=user, products=products, **form.cleaned_data)
            message = (
                f"Draft {issue.human_id} is saved. Only your organisation, SECAS and DCC see it."
            )
            return done(request, issue, message)
    page.context.update(form_context(request, form, formset))
    page.context["formset_errors"] = _formset_errors(formset)
    return page.render()


def _initial(issue: Issue) -> dict[str, Any]:
    initial = {name: getattr(issue, name) for name in ISSUE_FIELDS}
    initial["version"] = issue.version
    return initial


def _saved_products(issue: Issue) -> list[dict[str, Any]]:
    return [
        {
            "device_version": p.device_version,
            "dmc": p.dmc,
            "status": p.status,
            "first_fixed_firmware": p.first_fixed_firmware,
        }
        for p in issue.products.all()
    ]


def _product_keys(products: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [
        (p["device_version"], p["dmc"], p["status"], p["first_fixed_firmware"] or "")
        for p in products
    ]


def _edit_changes(form: IssueEditForm, formset: Any, issue: Issue) -> dict[str, Any]:
    """The submitted fields, and the products only when the user changed them (so an edit of
    the title does not rewrite every product row)."""
    changes = {name: form.cleaned_data[name] for name in ISSUE_FIELDS}
    products = products_from(formset)
    if _product_keys(products) != _product_keys(_saved_products(issue)):
        changes["products"] = products
    return changes


def _display(name: str, value: Any) -> str:
    if name == "regions":
        return ", ".join(Region(v).label for v in value or [] if v in Region.values) or "—"
    if name == "products":
        return (
            "\n".join(
                f"{p['device_version'] or 'DMC ' + str(p['dmc'])}: {p['status']}"
                + (f", fixed in {p['first_fixed_firmware']}" if p["first_fixed_firmware"] else "")
                for p in value
            )
            or "—"
        )
    return "—" if value in (None, "") else str(value)


def _conflict_rows(current: Issue, attempted: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    saved = {name: getattr(current, name) for name in ISSUE_FIELDS}
    saved["products"] = _saved_products(current)
    attempted = {**attempted, "products": attempted.get("products", saved["products"])}
    for name, value in saved.items():
        label = IssueForm.base_fields[name].label if name in IssueForm.base_fields else None
        rows.append(
            {
                "label": label or name.replace("_", " ").capitalize(),
                "current": _display(name, value),
                "attempted": _display(name, attempted[name]),
                "differs": _display(name, value) != _display(name, attempted[name]),
            }
        )
    return rows


def _conflict_response(
    request: HttpRequest, current: Issue, attempted: dict[str, Any], attempted_version: int
) -> HttpResponse:
    """Nothing is lost: the saved values and the user's attempt side by side, and a form
    holding the attempt against the current version."""
    user = acting_user(request)
    initial = {**attempted, "version": current.version}
    initial.pop("products", None)
    products = attempted.get("products") or _saved_products(current)
    formset = AffectedProductFormSet(prefix="products", initial=products)
    form = IssueEditForm(initial=initial, may_override=may_override_language(user))
    context: dict[str, Any] = {
        "issue": current,
        "rows": _conflict_rows(current, attempted),
        "attempted_version": attempted_version,
        **form_context(request, form, formset),
    }
    return render(request, "register/conflict.html", context, status=409)


@login_required
@require_http_methods(["GET", "POST"])
def issue_edit(request: HttpRequest, human_id: str) -> HttpResponse:
    user = acting_user(request)
    issue = issue_get_visible(user=user, human_id=human_id)
    page = FormPage(request, "register/issue_form.html", issue=issue)
    if not may_edit_issue(user, issue):
        state = issue.get_state_display().lower()
        return page.refused(f"Your role or organisation may not edit a {state} issue.")
    may_override = may_override_language(user)
    answer = _picker_answer(request, page, IssueEditForm, may_override=may_override)
    if answer is not None:
        return answer
    if request.method == "GET":
        form = IssueEditForm(initial=_initial(issue), may_override=may_override)
        formset = AffectedProductFormSet(prefix="products", initial=_saved_products(issue))
        page.context.update(form_context(request, form, formset))
        return page.render()
    form = IssueEditForm(request.POST, may_override=may_override)
    formset = AffectedProductFormSet(request.POST, prefix="products")
    page.context.update(form_context(request, form, formset))
    page.context["formset_errors"] = _formset_errors(formset)
    if form.is_valid() and formset.is_valid():
        changes = _edit_changes(form, formset, issue)
        version = form.cleaned_data["version"]
        justification = form.cleaned_data.get("language_justification", "")
        with page.refusals_shown_on(form):
            issue_update(
                issue=issue,
                actor=user,
                expected_version=version,
                language_justification=justification,
                **changes,
            )
            return done(request, issue, "Your changes are saved.")
        if isinstance(page.refusal, VersionConflict):
            return _conflict_response(request, page.refusal.current, changes, version)
    return page.render()
