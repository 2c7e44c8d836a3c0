"""Run pages for DCC (and SECAS): start a run, the list of runs, one run with live progress.

Analysis never happens here: starting a run queues it for the worker. A run's page refreshes
itself (a meta refresh, no script) until the run has finished.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from kir.register.views.common import FormPage, acting_user
from kir.tracker.forms import RunForm
from kir.tracker.permissions import may_run_tracker
from kir.tracker.selectors import (
    run_get_visible,
    runs_visible_to,
    tracker_audience_for,
    with_views_for,
)
from kir.tracker.services import tracker_run_create

REFRESH_SECONDS = 2


@login_required
@require_GET
def run_list(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    if not tracker_audience_for(user).is_full:
        raise Http404("No such page.")
    page = Paginator(runs_visible_to(user), 25).get_page(request.GET.get("page"))
    return render(
        request,
        "tracker/run_list.html",
        {"page": page, "may_run": may_run_tracker(user)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def run_new(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    state_available = bool(settings.TRACKER_STATE_DIR)
    page = FormPage(request, "tracker/run_new.html", state_dir=settings.TRACKER_STATE_DIR)
    if not may_run_tracker(user):
        return page.refused("Only DCC coordinators may start tracker runs.")
    posted = request.method == "POST"
    form = RunForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        state_available=state_available,
    )
    page.context["form"] = form
    if posted and form.is_valid():
        data = form.cleaned_data
        with page.refusals_shown_on(form):
            run = tracker_run_create(
                actor=user,
                inventory=data.get("inventory"),
                alerts=data.get("alerts") or [],
                use_state=bool(data.get("use_state")),
                day_from=data.get("day_from"),
                day_to=data.get("day_to"),
                rules_text=data["rules_text"],
            )
            messages.success(request, f"Run {run.pk} is queued; the worker will start it.")
            return redirect("tracker:run_detail", run_id=run.pk)
    return page.render()


@login_required
@require_GET
def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    user = acting_user(request)
    run = run_get_visible(user, run_id)
    findings = with_views_for(user, run.findings.order_by("position"))[:100]
    inputs = run.input_counts or {}
    context = {
        "run": run,
        "findings": findings,
        "inventory": inputs.get("inventory") or {},
        "alerts": inputs.get("alerts") or {},
        "rejects_sample": inputs.get("rejects_sample") or [],
        "percent": round(run.progress * 100),
        "refresh": None if run.is_finished else REFRESH_SECONDS,
    }
    return render(request, "tracker/run_detail.html", context)
