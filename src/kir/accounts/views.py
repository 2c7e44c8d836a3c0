from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from kir.accounts import selectors, services
from kir.accounts.forms import KirPasswordChangeForm, LoginForm, TokenCreateForm
from kir.accounts.models import User
from kir.accounts.permissions import Permission, user_has_permission


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    """POST only (Django's default), so a link or image cannot sign anyone out."""


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change_form.html"
    success_url = reverse_lazy("accounts:password_change_done")
    form_class = KirPasswordChangeForm

    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
        user = form.user
        services.user_change_password(
            user=user,
            new_password=form.cleaned_data["new_password1"],
            keep_tokens=form.cleaned_data.get("keep_tokens", False),
        )
        # Keep this session signed in; every other session of the user ends with the old hash.
        update_session_auth_hash(self.request, user)
        return HttpResponseRedirect(self.get_success_url())


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "accounts/password_change_done.html"


def _token_owner(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User) or not user_has_permission(user, Permission.MANAGE_OWN_TOKENS):
        raise PermissionDenied("This account may not hold API tokens.")
    return user


@login_required
def token_list(request: HttpRequest) -> HttpResponse:
    user = _token_owner(request)
    tokens = selectors.tokens_for_user(user=user)
    context = {"tokens": tokens, "now": timezone.now()}
    return render(request, "accounts/token_list.html", context)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def token_create(request: HttpRequest) -> HttpResponse:
    user = _token_owner(request)
    form = TokenCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            token, secret = services.token_create(
                user=user,
                name=form.cleaned_data["name"],
                expires_in_days=form.cleaned_data["expires_in_days"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            # Rendered, not redirected: the secret exists only in this one response.
            context: dict[str, Any] = {"token": token, "secret": secret}
            return render(request, "accounts/token_created.html", context)
    return render(request, "accounts/token_create.html", {"form": form})


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    user = _token_owner(request)
    token = selectors.token_get_for_user(user=user, token_id=token_id)
    services.token_revoke(token=token, actor=user)
    messages.success(request, f"Token “{token.name}” is revoked; it no longer works.")
    return redirect("accounts:tokens")
