"""The notice a manufacturer gets when its component first appears in a tracker finding.

Worded as the register's notices are: the component is "correlated with" superfluous alerts, never
the cause of them; the services check the rendered text against the neutral-language phrases.
"""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string

from kir.accounts.models import Organisation
from kir.tracker.models import TrackerEdition, TrackerFinding
from kir.tracker.presenters import component_label, region_label

_TEMPLATE = "tracker/email/finding_notice"


def render_finding_notice(
    edition: TrackerEdition, finding: TrackerFinding, organisation: Organisation
) -> tuple[str, str, str]:
    """(subject, text body, HTML body) of the notice to one organisation about one finding."""
    own = [
        part
        for part in finding.parts.all()
        if part.catalogue_manufacturer
        and part.catalogue_manufacturer.organisation_id == organisation.pk
    ]
    context = {
        "edition": edition,
        "finding": finding,
        "organisation": organisation,
        "region": region_label(finding.region),
        "own_components": [component_label(p) for p in own],
        "components": [component_label(p) for p in finding.parts.all()],
        "finding_url": f"{settings.SITE_URL.rstrip('/')}/tracker/findings/{finding.pk}/",
    }
    subject = " ".join(render_to_string(f"{_TEMPLATE}_subject.txt", context).split())
    text = render_to_string(f"{_TEMPLATE}_body.txt", context)
    html = render_to_string(f"{_TEMPLATE}_body.html", context)
    return subject, text, html
