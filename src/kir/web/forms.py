"""How every form field renders its errors: the GOV.UK error message beside the field, tied to
it by aria-describedby, and a summary link target for the page's error summary.

Set once as FORM_RENDERER, so each `{{ field.as_field_group }}` in every app gets it; the error
summary (register/_error_summary.html) links to `BoundField.error_anchor`.
"""

from __future__ import annotations

from django.forms.boundfield import BoundField
from django.forms.renderers import DjangoTemplates


class PeopleBoundField(BoundField):
    @property
    def error_anchor(self) -> str:
        """The id the summary links to: a group of radios or checkboxes has no element of its
        own id, so the first option stands for it (as GOV.UK links to the first radio); a
        hidden field has nothing to focus, so it gets none."""
        if self.is_hidden or not self.auto_id:
            return ""
        if self.use_fieldset and getattr(self.field, "choices", None):
            return f"{self.auto_id}_0"
        return self.id_for_label or str(self.auto_id)


class FormRenderer(DjangoTemplates):
    field_template_name = "web/forms/field.html"
    bound_field_class = PeopleBoundField
