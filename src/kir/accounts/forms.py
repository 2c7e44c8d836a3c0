from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm

from kir.accounts.models import User

EXPIRY_CHOICES = [
    (7, "7 days"),
    (30, "30 days"),
    (90, "90 days"),
    (180, "180 days"),
    (365, "1 year"),
]


class LoginForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "no_organisation": (
            "This account is not linked to an organisation, so it cannot use the register. "
            "Ask SECAS to link it."
        ),
    }

    def confirm_login_allowed(self, user: User) -> None:
        super().confirm_login_allowed(user)
        if user.organisation_id is None:
            raise forms.ValidationError(
                self.error_messages["no_organisation"], code="no_organisation"
            )


class KirPasswordChangeForm(PasswordChangeForm):
    keep_tokens = forms.BooleanField(
        required=False,
        label="Keep my personal API tokens working",
        help_text="Unticked, every token you made stops working now.",
    )


class TokenCreateForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        help_text="What the token is for, e.g. “asset system import”.",
    )
    expires_in_days = forms.TypedChoiceField(
        label="Expires after", choices=EXPIRY_CHOICES, coerce=int, initial=90
    )
