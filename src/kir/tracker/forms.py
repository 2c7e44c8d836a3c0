"""The run form: uploaded alert files and inventory, or the kept daily state."""

from __future__ import annotations

from typing import Any

from django import forms


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(d, initial) for d in data if d]
        return [super().clean(data, initial)] if data else []


class RunForm(forms.Form):
    inventory = forms.FileField(
        label="Inventory",
        required=False,
        allow_empty_file=True,  # the engine says what is wrong with an empty file
        help_text="CSV or Parquet, one row per device (docs/tracker.md lists the columns). "
        "With the daily state, leave empty to use the inventory kept beside it.",
    )
    alerts = MultipleFileField(
        label="Alert files",
        required=False,
        allow_empty_file=True,
        help_text="CSV, CSV.gz, Parquet or DUIS XML; several files at once.",
    )
    use_state = forms.BooleanField(
        label="Analyse the kept daily state instead of alert files",
        required=False,
    )
    day_from = forms.DateField(label="From (YYYY-MM-DD)", required=False)
    day_to = forms.DateField(label="To (YYYY-MM-DD)", required=False)
    rules = forms.FileField(
        label="Rules (TOML)", required=False, help_text="Leave empty for the default rules."
    )

    def __init__(self, *args: Any, state_available: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not state_available:
            del self.fields["use_state"]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        rules = data.get("rules")
        if rules:
            try:
                data["rules_text"] = rules.read().decode("utf-8")
            except UnicodeDecodeError:
                self.add_error("rules", "The rules file is not UTF-8 text.")
        else:
            data["rules_text"] = ""
        return data
