"""Tracker pages: home (latest edition per region), one page per finding, editions. Thin: reads
through kir.tracker.page_data (itself on the audience selectors), writes through the services."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from kir.register.errors import RegisterError
from kir.register.views.common import acting_user
from kir.tracker import edition_withdrawal, editions, page_data
from kir.tracker.finding_charts import finding_charts
from kir.tracker.models import RunStatus, TrackerRun
from kir.tracker.presenters import region_label
from kir.tracker.raise_issue import issue_draft_from_finding, may_raise_issue
from kir.tracker.selectors import (
    editions_showing_findings_to,
    editions_visible_to,
    finding_view,
    findings_visible_to,
    tracker_audience_for,
)

CORRELATION_NOTE = (
    "A finding is a statistical correlation between installed components and superfluous alert "
    "traffic. A correlation is not a finding of responsibility or non-compliance."
)


class ResponseForm(forms.Form):
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=editions.MAX_RESPONSE_CHARS,
        label="Your response",
        help_text="Shown beside the finding in this and later editions.",
    )


def _refused(request: HttpRequest, refusal: RegisterError) -> None:
    errors = getattr(refusal, "errors", None)
    reasons = [m for ms in errors.values() for m in ms] if errors else [str(refusal)]
    for reason in reasons:
        messages.error(request, reason)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    context = {
        "regions": page_data.latest_editions_by_region(user),
        "audience": tracker_audience_for(user),
        "note": CORRELATION_NOTE,
    }
    return render(request, "tracker/home.html", context)


@login_required
def finding_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    # One query for the finding with its parts and the viewer's own drill-down; the run without
    # its report (the engine's whole JSON, which the page does not show).
    finding = get_object_or_404(page_data.finding_page_rows(user), pk=pk)
    figures = finding_view(user, finding)
    history = page_data.finding_history(user, finding)
    row = page_data.row_of(user, finding)
    issues = page_data.linked_issues(user, finding.key)
    context = {
        "finding": finding,
        "row": row,
        "figures": figures,
        "charts": finding_charts(finding.pk, figures),
        "region": region_label(finding.region),
        "history": history,
        "trend": page_data.trend(history),
        "first_seen": history[0] if history else None,
        "issues": issues,
        "checks": page_data.fix_checks(issues),
        "responses": page_data.responses(finding.key),
        "response_form": ResponseForm() if editions.may_respond(user, finding.key) else None,
        "may_raise_issue": may_raise_issue(user),
        "audience": tracker_audience_for(user),
        "note": CORRELATION_NOTE,
    }
    return render(request, "tracker/finding.html", context)


@login_required
@require_POST
def finding_respond(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    finding = get_object_or_404(findings_visible_to(user), pk=pk)
    form = ResponseForm(request.POST)
    if form.is_valid():
        try:
            editions.finding_response_add(
                actor=user, finding_key=finding.key, text=form.cleaned_data["text"]
            )
            messages.success(request, "Your response is shown beside the finding.")
        except RegisterError as refusal:
            _refused(request, refusal)
    else:
        messages.error(request, "Write the response (at most 4,000 characters).")
    return redirect("tracker:finding", pk=finding.pk)


@login_required
@require_POST
def finding_raise_issue(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    finding = get_object_or_404(findings_visible_to(user), pk=pk)
    try:
        link = issue_draft_from_finding(actor=user, finding=finding)
    except RegisterError as refusal:
        _refused(request, refusal)
        return redirect("tracker:finding", pk=finding.pk)
    messages.success(request, f"Draft {link.issue.human_id} was raised from the finding.")
    return redirect("register:detail", link.issue.human_id)


@login_required
def edition_list(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    administrator = editions.may_administer_editions(user)
    runs = (
        TrackerRun.objects.filter(status=RunStatus.SUCCEEDED).order_by("-id")[:20]
        if administrator
        else []
    )
    context = {
        "editions": editions_visible_to(user).select_related("run").order_by("-number"),
        "runs": runs,
        "note": CORRELATION_NOTE,
    }
    return render(request, "tracker/editions.html", context)


@login_required
def edition_detail(request: HttpRequest, number: int) -> HttpResponse:
    user = acting_user(request)
    edition = get_object_or_404(editions_visible_to(user).select_related("run"), number=number)
    administrator = editions.may_administer_editions(user)
    findings = findings_visible_to(user).filter(
        editions__in=editions_showing_findings_to(user).filter(pk=edition.pk)
    )
    context = {
        "edition": edition,
        "rows": page_data.rows_for(user, findings),
        "administrator": administrator,
        "blockers": editions.edition_blockers(edition) if administrator else [],
        "notices": edition.notices.select_related("organisation", "job") if administrator else [],
        "unreachable": editions.unreachable_manufacturers(edition) if administrator else [],
        "audience": tracker_audience_for(user),
        "note": CORRELATION_NOTE,
    }
    return render(request, "tracker/edition.html", context)


@login_required
@require_POST
def edition_propose(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    if not tracker_audience_for(user).is_full:
        raise Http404
    run = get_object_or_404(TrackerRun, pk=request.POST.get("run") or 0)
    try:
        edition = editions.edition_propose(actor=user, run=run, note=request.POST.get("note", ""))
    except RegisterError as refusal:
        _refused(request, refusal)
        return redirect("tracker:editions")
    messages.success(
        request,
        f"Edition {edition.number} is proposed; {edition.notices.count()} manufacturer(s) told.",
    )
    return redirect("tracker:edition", number=edition.number)


@login_required
@require_POST
def edition_approve(request: HttpRequest, number: int) -> HttpResponse:
    user = acting_user(request)
    edition = get_object_or_404(editions_visible_to(user), number=number)
    try:
        editions.edition_approve(actor=user, edition=edition)
        messages.success(request, f"Edition {edition.number} is published to every Party.")
    except RegisterError as refusal:
        _refused(request, refusal)
    return redirect("tracker:edition", number=edition.number)


def _end(request: HttpRequest, number: int, action: str) -> HttpResponse:
    """Cancel or withdraw (`action`), with the reason from the form, by the edition services."""
    user = acting_user(request)
    edition = get_object_or_404(editions_visible_to(user), number=number)
    end = (
        edition_withdrawal.edition_cancel
        if action == "cancelled"
        else edition_withdrawal.edition_withdraw
    )
    try:
        end(actor=user, edition=edition, reason=request.POST.get("reason", ""))
        messages.success(request, f"Edition {edition.number} is {action}.")
    except RegisterError as refusal:
        _refused(request, refusal)
    return redirect("tracker:edition", number=edition.number)


@login_required
@require_POST
def edition_cancel(request: HttpRequest, number: int) -> HttpResponse:
    return _end(request, number, "cancelled")


@login_required
@require_POST
def edition_withdraw(request: HttpRequest, number: int) -> HttpResponse:
    return _end(request, number, "withdrawn")
