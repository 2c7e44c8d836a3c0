"""Forms for the register pages: they parse and validate input; services decide and write."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError

from kir.catalogue.models import DMC, DeviceVersion, Region
from kir.identifiers import IdentifierError, normalise_firmware_version
from kir.register.models import (
    MAX_COUNT,
    TEXT_LIMITS,
    Category,
    EvidenceLevel,
    ImpactLevel,
    IssueState,
    ProductStatus,
    RootCauseStatus,
    TrackerGrade,
)
from kir.register.timeline import statement_numbers
from kir.web.form_messages import PeopleMessages

ANY = [("", "Any")]
SORT_CHOICES = [
    ("-updated", "Recently updated first"),
    ("updated", "Least recently updated first"),
    ("-created", "Newest first"),
    ("created", "Oldest first"),
    ("human_id", "Identifier"),
    ("-impact", "Highest impact first"),
    ("-evidence", "Strongest evidence first"),
    ("relevance", "Best match (with search text)"),
]


def _date_widget() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"})


class IssueFilterForm(PeopleMessages, forms.Form):
    """The list page's GET form; the same fields filter the CSV export and the API."""

    q = forms.CharField(required=False, label="Search text", max_length=200)
    state = forms.ChoiceField(required=False, choices=ANY + IssueState.choices)
    category = forms.ChoiceField(required=False, choices=ANY + Category.choices)
    region = forms.ChoiceField(required=False, choices=ANY + Region.choices)
    manufacturer = forms.CharField(
        required=False, max_length=200, label="Manufacturer (name or 4-hex identifier)"
    )
    model = forms.CharField(required=False, max_length=200, label="Model (name or 8-hex id)")
    firmware = forms.CharField(required=False, max_length=20, label="Firmware version")
    dmc = forms.CharField(required=False, max_length=40, label="DMC identifier")
    evidence_level = forms.ChoiceField(required=False, choices=ANY + EvidenceLevel.choices)
    impact_level = forms.ChoiceField(required=False, choices=ANY + ImpactLevel.choices)
    root_cause_status = forms.ChoiceField(required=False, choices=ANY + RootCauseStatus.choices)
    date_from = forms.DateField(required=False, label="Updated from", widget=_date_widget())
    date_to = forms.DateField(required=False, label="Updated to", widget=_date_widget())
    sort = forms.ChoiceField(required=False, choices=SORT_CHOICES)
    page = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date must not be before the start date.")
        return data


class IssueForm(PeopleMessages, forms.Form):
    """Fields of an issue that its reporter writes; state and statuses change only by workflow."""

    title = forms.CharField(
        max_length=200, help_text="Neutral: say what is observed, not who is to blame."
    )
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text="Markdown.",
        required=False,
        max_length=TEXT_LIMITS["description"],
    )
    category = forms.ChoiceField(choices=Category.choices)
    regions = forms.MultipleChoiceField(
        choices=Region.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    evidence_level = forms.ChoiceField(choices=EvidenceLevel.choices)
    impact_level = forms.ChoiceField(choices=ImpactLevel.choices)
    excess_alerts_per_day = forms.FloatField(
        required=False, min_value=0, label="Excess alerts per day"
    )
    installations_affected = forms.IntegerField(
        required=False, min_value=0, max_value=MAX_COUNT, label="Installations affected"
    )
    impact_rationale = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        label="Impact rationale",
        max_length=TEXT_LIMITS["impact_rationale"],
    )


class IssueEditForm(IssueForm):
    # The version the user started from; the service refuses the save if someone saved since.
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    # Offered to SECAS administrators only (the view removes it for everyone else).
    language_justification = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Justification for flagged wording",
        help_text="Only if a published text must keep a flagged phrase; recorded as an override.",
    )

    def __init__(self, *args: Any, may_override: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not may_override:
            del self.fields["language_justification"]


class AffectedProductForm(PeopleMessages, forms.Form):
    """One affected product: a device version or a whole DMC, with its CSAF product status.

    The product is chosen with the picker (views/product_picker.py) and carried as its id: a
    select of every version would put the whole CPL, thousands of rows, into each row."""

    device_version = forms.ModelChoiceField(
        queryset=DeviceVersion.objects.select_related("device_model__manufacturer"),
        required=False,
        widget=forms.HiddenInput,
        label="Device version",
        error_messages={
            "invalid_choice": "That device version is not in the catalogue: find and add it again"
        },
    )
    dmc = forms.ModelChoiceField(
        queryset=DMC.objects.all(),
        required=False,
        widget=forms.HiddenInput,
        label="DMC",
        error_messages={
            "invalid_choice": "That DMC is not in the catalogue: find and add it again"
        },
    )
    # Not required: a row left at its default must not block the form when it names nothing.
    status = forms.ChoiceField(
        choices=ProductStatus.choices, initial=ProductStatus.UNDER_INVESTIGATION, required=False
    )
    first_fixed_firmware = forms.CharField(
        required=False, max_length=20, label="First fixed firmware (8 hex)"
    )

    def clean_first_fixed_firmware(self) -> str:
        value = self.cleaned_data.get("first_fixed_firmware") or ""
        try:
            return normalise_firmware_version(value) if value.strip() else ""
        except IdentifierError:
            raise ValidationError(
                "Enter the first fixed firmware as 8 hexadecimal digits, for example 0A1B2C3D",
                code="invalid",
            ) from None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("device_version") and data.get("dmc"):
            raise ValidationError("Choose a device version or a DMC, not both, on one row.")
        return data

    def as_product(self) -> dict[str, Any] | None:
        data = self.cleaned_data
        if not data or data.get("DELETE") or not (data.get("device_version") or data.get("dmc")):
            return None
        return {
            "device_version": data.get("device_version"),
            "dmc": data.get("dmc"),
            "status": data.get("status") or ProductStatus.UNDER_INVESTIGATION,
            "first_fixed_firmware": data.get("first_fixed_firmware", ""),
        }


# No empty rows: each row is a product the user picked (any number, up to max_num).
class _ProductRows(forms.BaseFormSet):
    default_error_messages = {
        **forms.BaseFormSet.default_error_messages,
        "too_many_forms": "Name at most %(num)d products on one issue",
    }


AffectedProductFormSet = forms.formset_factory(
    AffectedProductForm, formset=_ProductRows, extra=0, max_num=50, can_delete=True
)


def products_from(formset: forms.BaseFormSet) -> list[dict[str, Any]]:
    return [p for p in (f.as_product() for f in formset.forms) if p is not None]


class ProductFindForm(PeopleMessages, forms.Form):
    """The picker's search box: a manufacturer, model or firmware, or a DMC id or name."""

    product_find = forms.CharField(
        required=False,
        max_length=100,
        label="Find a device version or DMC",
        help_text="A manufacturer, model or firmware (name or hex id), or a DMC id or name.",
    )


class TransitionForm(PeopleMessages, forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=4000
    )
    expected_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    # The fingerprint of what the page previewed (services/previews.py), for steps with one.
    previewed = forms.CharField(
        widget=forms.HiddenInput,
        required=False,
        max_length=200,
        error_messages={
            "required": "Open this step's page again: it shows what will be recorded and sent "
            "before you confirm"
        },
    )

    def __init__(
        self, *args: Any, reason_required: bool = False, previewed: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        reason = self.fields["reason"]
        reason.required = reason_required
        reason.label = "Reason (required)" if reason_required else "Reason"
        self.fields["previewed"].required = previewed


class StatementForm(PeopleMessages, forms.Form):
    """A new statement; `kinds` and `statements` come from what this user may use and see."""

    kind = forms.ChoiceField(
        choices=(), error_messages={"required": "Select the kind of statement"}
    )
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}), max_length=20000)
    supersedes = forms.TypedChoiceField(
        choices=(), required=False, coerce=int, empty_value=None, label="Supersedes (optional)"
    )
    challenges = forms.TypedChoiceField(
        choices=(), required=False, coerce=int, empty_value=None, label="Challenges (optional)"
    )

    def __init__(
        self,
        *args: Any,
        kinds: list[tuple[str, str]],
        statements: list,
        supersedable: list,
        **kwargs: Any,
    ):
        """`statements`: those the user may challenge (all it sees); `supersedable`: those it
        may supersede (permissions.may_supersede, not yet superseded)."""
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["kind"]).choices = kinds
        numbers = statement_numbers(s.pk for s in statements)

        def options(offered: list) -> list[tuple[Any, str]]:
            return [("", "None")] + [(s.pk, _statement_label(s, numbers[s.pk])) for s in offered]

        cast(forms.ChoiceField, self.fields["supersedes"]).choices = options(supersedable)
        cast(forms.ChoiceField, self.fields["challenges"]).choices = options(statements)
        self._statements = {s.pk: s for s in statements}

    def statement(self, field: str) -> Any:
        pk = self.cleaned_data.get(field)
        return self._statements.get(pk) if pk else None


def _statement_label(statement: Any, number: int) -> str:
    return f"#{number} {statement.get_kind_display()} by {statement.organisation}"


class ManufacturerResponseForm(PeopleMessages, forms.Form):
    response = forms.ChoiceField(
        choices=[
            ("acknowledge", "Acknowledge the notice and cooperate"),
            ("dispute", "Dispute the issue"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Select whether you acknowledge or dispute the issue"},
    )
    rationale = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=20000,
        required=False,
        label="Rationale for a dispute",
        help_text="Needed to dispute. Root cause, remediation and workarounds are statements.",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        rationale = data.get("rationale", "").strip()
        if data.get("response") == "dispute" and not rationale:
            self.add_error("rationale", "Give the reasons for the dispute.")
        if data.get("response") == "acknowledge" and rationale:
            self.add_error(
                "rationale",
                "An acknowledgement carries no rationale: acknowledge first, then add your "
                "statement (root cause, remediation, workaround or response).",
            )
        return data


class ProcurementCheckForm(PeopleMessages, forms.Form):
    """Paste identifiers, or find catalogue entries and add them to the pasted list."""

    pasted = forms.CharField(
        required=False,
        label="Paste models, firmware versions or DMCs",
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=(
            "One per line: MANUFACTURER MODEL (4 and 8 hex digits, e.g. 1A2B 00012345), "
            "optionally followed by fw FIRMWARE (8 hex digits), or a DMC identifier "
            "(DMC- and 12 hex digits)."
        ),
    )
    find = forms.CharField(
        required=False,
        max_length=100,
        label="Find in the catalogue",
        help_text="A manufacturer, model or firmware (name or hex id), or a DMC id or name.",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("pasted", "").strip():
            raise ValidationError(
                "Paste at least one identifier, or find one in the catalogue and add it."
            )
        return data


class PolicyForm(PeopleMessages, forms.Form):
    minimum_evidence_level = forms.ChoiceField(choices=EvidenceLevel.choices)
    minimum_impact_level = forms.ChoiceField(choices=ImpactLevel.choices)
    notice_period_business_days = forms.IntegerField(min_value=0, max_value=120)
    second_approver_required = forms.BooleanField(required=False)
    minimum_tracker_grade = forms.ChoiceField(
        choices=TrackerGrade.choices,
        label="Minimum tracker grade",
        help_text="The lowest tracker certainty a finding needs to appear in a tracker edition.",
    )


class LanguageOverrideForm(PeopleMessages, forms.Form):
    """An administrator lets one flagged phrase stand in the current wording of one text."""

    hit = forms.ChoiceField(widget=forms.RadioSelect, label="Flagged wording")
    justification = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=4000,
        help_text="Recorded with your name; why may this wording be published as it is?",
    )

    def __init__(self, *args: Any, hits: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["hit"]).choices = [
            (hit.key, f'{hit.label}: "{hit.matched}" (phrase "{hit.phrase}")') for hit in hits
        ]


class EvidenceForm(PeopleMessages, forms.Form):
    file = forms.FileField(label="File")
    description = forms.CharField(max_length=300, label="What the file shows")
    installation_level = forms.BooleanField(
        required=False,
        label="Contains device or installation identifiers",
        help_text="Then only your organisation, DCC and SECAS can see it.",
    )
