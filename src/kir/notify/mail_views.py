"""Pages for what a user receives: subscriptions and e-mail choices, and unsubscribing.

The unsubscribe address is in every non-statutory e-mail (`List-Unsubscribe`). RFC 8058: a
mail reader POSTs `List-Unsubscribe=One-Click` to it with no session and no CSRF token, so the
POST is exempt from both; the signed token in the address is the authority. A GET (a person who
clicked the link) only shows a page asking to confirm, since mail scanners follow links.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from kir.accounts.models import User
from kir.catalogue.models import DMC, DeviceModel, Manufacturer, Region
from kir.exports.estate import saved_estates_for
from kir.notify.mailing import STREAMS, preferences_of, read_unsubscribe_token, unsubscribe
from kir.notify.models import Delivery, PublicationMail, SubscriptionKind
from kir.notify.subscriptions import (
    mail_preferences_update,
    subscription_add,
    subscription_remove,
    subscriptions_of,
)
from kir.register.errors import ValidationFailed
from kir.register.models import Category


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User), "views must be protected by login_required"
    return request.user


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe_page(request: HttpRequest, token: str) -> HttpResponse:
    found = read_unsubscribe_token(token)
    user = None
    if found is not None:
        user = User.objects.filter(pk=found[0], is_active=True).first()
    if found is None or user is None:
        return render(request, "notify/unsubscribe.html", {"invalid": True}, status=404)
    stream = found[1]
    context = {"stream_label": STREAMS[stream][0], "token": token}
    if request.method == "POST":
        unsubscribe(user=user, stream=stream)
        return render(request, "notify/unsubscribe.html", {**context, "done": True})
    return render(request, "notify/unsubscribe.html", context)


def _choices(user: User) -> dict[str, list[tuple[str, str]]]:
    return {
        SubscriptionKind.MANUFACTURER: [(str(m.pk), str(m)) for m in Manufacturer.objects.all()],
        SubscriptionKind.DEVICE_MODEL: [
            (str(m.pk), str(m)) for m in DeviceModel.objects.select_related("manufacturer")
        ],
        SubscriptionKind.DMC: [(str(d.pk), str(d)) for d in DMC.objects.all()],
        SubscriptionKind.REGION: list(Region.choices),
        SubscriptionKind.CATEGORY: list(Category.choices),
        SubscriptionKind.ESTATE: [(str(e.pk), e.name) for e in saved_estates_for(user=user)],
    }


@login_required
def subscriptions_page(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            _apply(request, user)
        except ValidationFailed as refused:
            errors = refused.errors
        else:
            return redirect("notify:subscriptions")
    kinds = [(kind, label, _choices(user)[kind]) for kind, label in SubscriptionKind.choices]
    context = {
        "subscriptions": subscriptions_of(user=user),
        "kinds": kinds,
        "preferences": preferences_of(user),
        "publication_choices": PublicationMail.choices,
        "delivery_choices": Delivery.choices,
        "errors": errors,
    }
    return render(request, "notify/subscriptions.html", context, status=400 if errors else 200)


def _apply(request: HttpRequest, user: User) -> None:
    action = request.POST.get("action", "")
    if action == "add":
        kind = request.POST.get("kind", "")
        subscription_add(user=user, kind=kind, value=request.POST.get(f"value-{kind}", ""))
    elif action == "remove":
        raw = request.POST.get("subscription", "")
        if not raw.isdigit():
            raise ValidationFailed({"subscription": ["Choose a subscription to remove."]})
        subscription_remove(user=user, subscription_id=int(raw))
    elif action == "preferences":
        mail_preferences_update(
            user=user,
            publications=request.POST.get("publications", ""),
            delivery=request.POST.get("delivery", ""),
            bulletins=request.POST.get("bulletins") == "on",
            work=request.POST.get("work") == "on",
        )
    else:
        raise ValidationFailed({"action": ["Expected add, remove or preferences."]})
