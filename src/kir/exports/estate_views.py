"""The estate check page: upload an estate file, see every published issue touching it with the
installations at stake, download it as XLSX or JSON, and save the estate for the organisation."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kir.exports.estate import (
    EstateCheck,
    estate_check,
    saved_estate_get,
    saved_estate_lines,
    saved_estates_for,
)
from kir.exports.estate_formats import check_json, check_rows, check_sheet
from kir.exports.estate_input import EstateFileError, EstateInput, parse_estate_file
from kir.exports.estate_services import estate_delete, estate_save
from kir.exports.xlsx import XLSX_CONTENT_TYPE, xlsx_chunks
from kir.register.errors import PermissionRefused, ValidationFailed
from kir.register.services.policy import policy_in_force
from kir.register.views.common import acting_user


def _answer(
    request: HttpRequest, check: EstateCheck, source: str, answer: str
) -> HttpResponse | StreamingHttpResponse:
    """The check as the format asked for: `xlsx`, `json`, or None for the page."""
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if answer == "xlsx":
        spec = check_sheet(check, source, policy_in_force().version)
        response = StreamingHttpResponse(
            xlsx_chunks(spec, check_rows(check), timezone.now()), content_type=XLSX_CONTENT_TYPE
        )
        response["Content-Disposition"] = f'attachment; filename="kir-estate-{stamp}.xlsx"'
        return response
    if answer == "json":
        return JsonResponse(check_json(check), encoder=DjangoJSONEncoder)
    context = {"check": check, "source": source, "estates": saved_estates_for(user=request.user)}
    return render(request, "exports/estate_check.html", context)


def _read_upload(request: HttpRequest) -> tuple[str, EstateInput | None, list[str]]:
    upload = request.FILES.get("estate")
    if upload is None:
        return "", None, ["Choose an estate file (CSV or XLSX) to check."]
    name = upload.name or "estate"
    try:
        found = parse_estate_file(upload, name)
    except EstateFileError as error:
        return name, None, [f"{name}: {error}"]
    # A file with any bad row is not checked at all: nothing is half-checked.
    return name, found, [f"{name}: {error}" for error in found.errors]


def _save(request: HttpRequest, found: EstateInput) -> None:
    name = request.POST.get("save_as", "").strip()
    if not name:
        return
    try:
        estate_save(actor=acting_user(request), name=name, lines=found.lines)
    except (ValidationFailed, PermissionRefused) as refusal:
        messages.error(request, f"The estate was not saved: {refusal}")
    else:
        messages.success(request, f"Saved the estate {name!r} for your organisation.")


@login_required
@require_http_methods(["GET", "POST"])
def estate_check_page(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    context: dict[str, Any] = {"estates": saved_estates_for(user=request.user), "errors": []}
    if request.method == "POST":
        source, found, errors = _read_upload(request)
        if found is not None and not errors:
            _save(request, found)
            check = estate_check(user=acting_user(request), lines=found.lines)
            return _answer(request, check, source, request.POST.get("answer", ""))
        context["errors"] = errors
    status = 422 if context["errors"] else 200
    return render(request, "exports/estate_check.html", context, status=status)


@login_required
@require_GET
def saved_estate_check(
    request: HttpRequest, estate_id: int
) -> HttpResponse | StreamingHttpResponse:
    """A saved estate checked again now, as the page, `?answer=xlsx` or `?answer=json`."""
    estate = saved_estate_get(user=request.user, estate_id=estate_id)
    check = estate_check(user=acting_user(request), lines=saved_estate_lines(estate))
    return _answer(request, check, f"saved estate {estate.name}", request.GET.get("answer", ""))


@login_required
@require_POST
def saved_estate_delete(request: HttpRequest, estate_id: int) -> HttpResponse:
    estate = saved_estate_get(user=request.user, estate_id=estate_id)
    try:
        estate_delete(actor=acting_user(request), estate=estate)
    except PermissionRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, f"Deleted the estate {estate.name!r}.")
    return redirect("estate:check")
