"""The JSON API: one NinjaAPI; each app contributes a thin router that calls services/selectors."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema

from kir.api.auth import api_auth
from kir.exports.api import router as exports_router
from kir.register.api import router as register_router
from kir.tracker.api import router as tracker_router

api = NinjaAPI(
    title="Known Issues Register API",
    version="1",
    description="Register of known issues in GB smart metering Devices and DMCs.",
    urls_namespace="api",
    auth=api_auth,
)


@api.exception_handler(RequestDataTooBig)
def body_too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    detail = f"The request body is larger than the limit of {limit} bytes."
    return api.create_response(request, {"detail": detail}, status=413)


class MeOut(Schema):
    username: str
    organisation: str
    category: str
    role: str


@api.get("/me", response=MeOut, tags=["accounts"], summary="Who the credentials belong to")
def me(request: HttpRequest) -> MeOut:
    user = request.auth  # type: ignore[attr-defined]
    organisation = user.organisation
    return MeOut(
        username=user.get_username(),
        organisation=organisation.name,
        category=organisation.category,
        role=user.role,
    )


api.add_router("/", register_router)
api.add_router("/", exports_router)
api.add_router("/", tracker_router)
