"""The register list's active filters in words, for the line above its collapsed filter panel:
"2 filters: State Published, Region North". Choice values are shown by their labels, dates
the GOV.UK way; the search text and the sort order are not filters and stay out."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.http import QueryDict

from kir.formatting import long_date

# Kept by "Clear filters": what the user searched for and how the list is sorted.
NOT_FILTERS = ("q", "sort", "page")


@dataclass(frozen=True)
class ActiveFilter:
    label: str
    value: str

    def __str__(self) -> str:
        return f"{self.label} {self.value}"


def _shown(field: forms.Field, value: object) -> str:
    if isinstance(field, forms.ChoiceField):
        return str(dict(field.choices).get(value, value))  # type: ignore[arg-type]
    if isinstance(field, forms.DateField):
        return long_date(value)  # type: ignore[arg-type]
    return str(value)


def _label(form: forms.Form, name: str) -> str:
    # "Manufacturer (name or 4-hex identifier)" reads "Manufacturer": the hint is for the input.
    return str(form[name].label).split(" (", 1)[0]


def active_filters(form: forms.Form) -> list[ActiveFilter]:
    """The filters in force, in the form's order; a field that failed validation filters
    nothing (views/browse.py leaves it out), so it is not listed either."""
    if not form.is_bound:
        return []
    form.is_valid()
    data = form.cleaned_data
    return [
        ActiveFilter(_label(form, name), _shown(field, data[name]))
        for name, field in form.fields.items()
        if name not in NOT_FILTERS and name not in form.errors and data.get(name) not in (None, "")
    ]


def summary(filters: list[ActiveFilter]) -> str:
    count = len(filters)
    return f"{count} filter{'' if count == 1 else 's'}: " + ", ".join(map(str, filters))


def cleared_query(query: QueryDict) -> str:
    """The query string with every filter removed and the search and sort kept."""
    kept = QueryDict(mutable=True)
    for name in ("q", "sort"):
        value = query.get(name)
        if value:
            kept[name] = str(value)
    return kept.urlencode()
