"""The JSON API: one NinjaAPI; each app contributes a thin router that calls services/selectors."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema

from kir.api.auth import api_auth
from kir.api.catalogue import router as catalogue_router
from kir.exports.api import router as exports_router
from kir.exports.estate_api import router as estate_router
from kir.register.api import router as register_router
from kir.register.api_evidence import router as evidence_router
from kir.register.api_schemas import ErrorOut
from kir.tracker import api_runs  # noqa: F401 (adds POST /tracker/runs to the tracker router)
from kir.tracker.api import router as tracker_router

# Every error answer any operation may give, each with the one error schema (ErrorOut).
ERROR_RESPONSES = {
    400: "The request body is not JSON, or not the content type the operation reads",
    401: "No valid credentials: send a personal token (Authorization: Bearer kir_...)",
    403: "The caller sees the resource but its role or organisation may not act on it",
    404: "No such resource, or one the caller may not see (the same answer)",
    409: "The resource changed since the version the caller read (current_version says which)",
    413: "The request body is larger than the limit",
    422: "The input is not valid: each problem named by its location",
}


class RegisterApi(NinjaAPI):
    """The API whose OpenAPI description names every error answer of every operation, so that
    a schema-driven client or fuzzer meets no undocumented status."""

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(*args, **kwargs)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.setdefault(
            "ErrorOut", ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
        )
        error = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                for status, description in ERROR_RESPONSES.items():
                    responses.setdefault(status, {"description": description, "content": error})
        return schema


api = RegisterApi(
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
api.add_router("/", estate_router)
api.add_router("/", catalogue_router)
api.add_router("/", evidence_router)
api.add_router("/", tracker_router)
