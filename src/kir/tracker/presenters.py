"""How tracker rows read on pages and in messages: components as the catalogue names them."""

from __future__ import annotations

from django.urls import reverse

from kir.catalogue.models import Region
from kir.tracker.models import FindingComponent, TrackerFinding


def component_label(part: FindingComponent) -> str:
    """The catalogue's name for the version when it knows it, else the engine's identifiers."""
    if part.device_version is not None:
        return str(part.device_version)
    return (
        f"{part.device_type} {part.manufacturer}/{part.model} fw {part.firmware_version} "
        "(not in the catalogue)"
    )


def component_url(part: FindingComponent) -> str:
    """The catalogue page of the component's model, or "" when the catalogue does not know it."""
    if part.device_version is None:
        return ""
    model = part.device_version.device_model
    return reverse("catalogue:model_detail", args=[model.manufacturer.identifier, model.model_id])


def region_label(region: str) -> str:
    return Region(region).label if region in Region.values else region


def finding_title(finding: TrackerFinding) -> str:
    return f"{finding.alert_code} in {region_label(finding.region)}"
