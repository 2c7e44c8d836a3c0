"""The threshold policy: the version in force and its history; SECAS administrators issue a new
version (never an edit of one in force)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods

from kir.register.forms import PolicyForm
from kir.register.models import ThresholdPolicy
from kir.register.permissions import may_edit_policy
from kir.register.services import policy_update
from kir.register.views.common import FormPage, acting_user


def _policy_history() -> list[ThresholdPolicy]:
    # The policy is public to every member: it is what the Panel publishes as its threshold.
    return list(ThresholdPolicy.objects.select_related("created_by").order_by("-version"))


def _initial(policy: ThresholdPolicy | None) -> dict[str, Any]:
    if policy is None:
        return {}
    names = (
        "minimum_evidence_level",
        "minimum_impact_level",
        "notice_period_business_days",
        "second_approver_required",
        "minimum_tracker_grade",
    )
    return {name: getattr(policy, name) for name in names}


@login_required
@require_http_methods(["GET", "POST"])
def policy_page(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    history = _policy_history()
    in_force = next((p for p in history if p.in_force), None)
    page = FormPage(request, "register/policy.html", history=history, in_force=in_force)
    editable = may_edit_policy(user)
    if request.method == "POST" and not editable:
        return page.refused("Only SECAS administrators may change the policy.")
    form = PolicyForm(request.POST or None, initial=_initial(in_force)) if editable else None
    page.context["form"] = form
    page.context["next_version"] = (history[0].version + 1) if history else 1
    if request.method == "POST" and form is not None and form.is_valid():
        with page.refusals_shown_on(form):
            policy = policy_update(actor=user, **form.cleaned_data)
            messages.success(request, f"Threshold policy version {policy.version} is now in force.")
            return redirect("register:policy")
    return page.render()
