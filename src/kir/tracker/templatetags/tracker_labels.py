"""Labels for the tracker's stored codes on its pages: a region's name, not its slug."""

from __future__ import annotations

from django import template

from kir.tracker.presenters import region_label

register = template.Library()

register.filter("region_label", region_label)
