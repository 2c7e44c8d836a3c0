"""The webhook pages: an organisation's administrators (and SECAS's) list, create, rotate,
enable, disable and delete endpoints and read their delivery log. Thin: selectors read,
services write; a secret appears in exactly one response."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from kir.accounts.models import User
from kir.notify.webhooks import services
from kir.notify.webhooks.forms import EndpointForm
from kir.notify.webhooks.selectors import (
    delivery_log,
    endpoint_get_manageable,
    endpoints_manageable_by,
)
from kir.register.errors import ValidationFailed


def _manager(request: HttpRequest) -> User:
    user = request.user
    organisation = getattr(user, "organisation", None)
    if not isinstance(user, User) or organisation is None:
        raise PermissionDenied("Only an organisation's administrators manage its webhooks.")
    if not services.may_manage_webhooks(user, organisation):
        raise PermissionDenied("Only an organisation's administrators manage its webhooks.")
    return user


def _secret_page(request: HttpRequest, endpoint: Any, secret: str, rotated: bool) -> HttpResponse:
    # Rendered, not redirected: the secret exists only in this one response.
    context = {"endpoint": endpoint, "secret": secret, "rotated": rotated}
    return render(request, "notify/webhooks/secret.html", context)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def endpoint_list(request: HttpRequest) -> HttpResponse:
    user = _manager(request)
    organisation = user.organisation
    assert organisation is not None  # _manager refuses anyone else
    form = EndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint, secret = services.webhook_endpoint_create(
                actor=user, organisation=organisation, **form.cleaned_data
            )
        except ValidationFailed as failure:
            for field, errors in failure.errors.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            return _secret_page(request, endpoint, secret, rotated=False)
    endpoints = endpoints_manageable_by(user=user).order_by("organisation__name", "id")
    return render(request, "notify/webhooks/list.html", {"endpoints": endpoints, "form": form})


@login_required
def endpoint_detail(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = endpoint_get_manageable(user=_manager(request), endpoint_id=endpoint_id)
    context = {"endpoint": endpoint, "deliveries": delivery_log(endpoint=endpoint)}
    return render(request, "notify/webhooks/detail.html", context)


@never_cache
@login_required
@require_POST
def endpoint_rotate(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    user = _manager(request)
    endpoint = endpoint_get_manageable(user=user, endpoint_id=endpoint_id)
    secret = services.webhook_secret_rotate(actor=user, endpoint=endpoint)
    return _secret_page(request, endpoint, secret, rotated=True)


CHANGES = {
    "enable": (services.webhook_endpoint_enable, "is enabled again"),
    "disable": (services.webhook_endpoint_disable, "is disabled"),
    "delete": (services.webhook_endpoint_delete, "is deleted"),
}


@login_required
@require_POST
def endpoint_change(request: HttpRequest, endpoint_id: int, change: str) -> HttpResponse:
    user = _manager(request)
    endpoint = endpoint_get_manageable(user=user, endpoint_id=endpoint_id)
    service, done = CHANGES[change]
    service(actor=user, endpoint=endpoint)
    messages.success(request, f"The endpoint {endpoint.url} {done}.")
    if change == "delete":
        return redirect("webhooks:list")
    return redirect("webhooks:detail", endpoint_id=endpoint.pk)
