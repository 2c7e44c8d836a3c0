"""The JSON API: one NinjaAPI; each app contributes a thin router that calls services/selectors."""

from __future__ import annotations

from ninja import NinjaAPI

api = NinjaAPI(
    title="Known Issues Register API",
    version="1",
    description="Register of known issues in GB smart metering Devices and DMCs.",
    urls_namespace="api",
)
