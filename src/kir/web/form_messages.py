"""Django's default form messages ("This field is required.", "Enter a whole number.") rewritten
the way GOV.UK words them, naming the field: "Enter the title", "Installations affected must be
0 or more". A form opts in by inheriting `PeopleMessages`; a message a field sets itself stays.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms

_CHOOSE = (forms.ChoiceField, forms.ModelChoiceField, forms.FileField)
_PARENTHESIS = re.compile(r"\s*\(.*?\)")


def field_name(label: str) -> str:
    """ "First fixed firmware (8 hex)" -> "first fixed firmware"; "DMC identifier" keeps its
    capitals (an initialism's second letter is upper case)."""
    name = _PARENTHESIS.sub("", label).strip()
    if len(name) > 1 and not name[1].isupper():
        name = name[0].lower() + name[1:]
    return name


def _sentence(text: str) -> str:
    return text[0].upper() + text[1:]


def people_messages(field: forms.Field, label: str) -> dict[str, str]:
    name = field_name(label)
    verb = "Select" if isinstance(field, _CHOOSE) else "Enter"
    messages = {
        "required": f"{verb} the {name}",
        "max_length": f"{_sentence(name)} must be %(limit_value)d characters or fewer",
        "min_value": f"{_sentence(name)} must be %(limit_value)s or more",
        "max_value": f"{_sentence(name)} must be %(limit_value)s or less",
        "invalid_choice": f"Select the {name} from the options shown",
        "empty": "The selected file is empty",
    }
    # FloatField is a subclass of IntegerField, so it is asked first.
    if isinstance(field, forms.FloatField | forms.DecimalField):
        messages["invalid"] = f"Enter the {name} as a number, for example 1200.5"
    elif isinstance(field, forms.IntegerField):
        messages["invalid"] = f"Enter the {name} as a whole number, for example 340"
    elif isinstance(field, forms.DateField):
        messages["invalid"] = f"Enter the {name} as a real date, for example 16/12/2026"
    return messages


def _defaults(field: forms.Field) -> dict[str, Any]:
    """The messages Django gives this kind of field when the form sets none itself."""
    defaults: dict[str, Any] = {}
    for klass in reversed(type(field).__mro__):
        defaults.update(getattr(klass, "default_error_messages", {}))
    return defaults


class PeopleMessages:
    """Mixin for a Form: each field's Django-default messages replaced by people's words."""

    fields: dict[str, forms.Field]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for key, field in self.fields.items():
            label = str(field.label or key.replace("_", " ").capitalize())
            defaults = _defaults(field)
            for code, message in people_messages(field, label).items():
                if code not in field.error_messages or field.error_messages[code] == defaults.get(
                    code
                ):
                    field.error_messages[code] = message
