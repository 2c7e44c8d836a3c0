from __future__ import annotations

from django import forms

from kir.notify.webhooks.events import EVENTS


class EndpointForm(forms.Form):
    url = forms.CharField(
        label="Receiver URL",
        max_length=500,
        help_text="An https:// address of your receiver; events are POSTed to it, signed.",
    )
    description = forms.CharField(max_length=200, required=False)
    events = forms.MultipleChoiceField(
        choices=[(name, f"{name}: {meaning}") for name, meaning in EVENTS.items()],
        widget=forms.CheckboxSelectMultiple,
        initial=["issue.published"],
    )
