"""The SCIM wire format: error bodies with the right status, JSON responses of the SCIM media
type, and reading a request body into a model without letting bad input become a 500."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from django.http import HttpRequest, HttpResponse
from pydantic import ValidationError as PydanticValidationError
from scim2_models import Context, Error, PatchOp, SCIMException

from mentorship.identity.scim.resources import POLICY

CONTENT_TYPE = "application/scim+json"
ModelT = TypeVar("ModelT")


class ScimError(Exception):
    """An answer other than success, as RFC 7644 §3.12 shapes it."""

    def __init__(self, status: int, detail: str, scim_type: str | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.scim_type = scim_type

    @classmethod
    def from_scim(cls, exc: SCIMException) -> ScimError:
        return cls(exc.status, exc.detail, exc.scim_type or None)

    @classmethod
    def from_validation(cls, exc: PydanticValidationError) -> ScimError:
        errors = Error.from_validation_errors(exc)
        first = errors[0] if errors else Error(status=400, detail="Invalid request")
        return cls(first.status or 400, first.detail or "Invalid request", first.scim_type)


def not_found() -> ScimError:
    # The same words for a missing resource and one of another organisation.
    return ScimError(404, "No such resource.")


def json_response(body: dict[str, Any], *, status: int = 200, location: str = "") -> HttpResponse:
    response = HttpResponse(json.dumps(body), status=status, content_type=CONTENT_TYPE)
    if location:
        response["Location"] = location
    return response


def error_response(error: ScimError) -> HttpResponse:
    body = Error(status=error.status, scim_type=error.scim_type, detail=error.detail)
    response = json_response(body.model_dump(scim_ctx=Context.DEFAULT), status=error.status)
    if error.status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="scim"'
    return response


def refuse_nul(value: Any) -> Any:
    """Refuse text holding a NUL character (400): PostgreSQL cannot store one, and the database
    error would otherwise surface as a 500."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ScimError(400, "Text may not contain NUL characters.", "invalidValue")
    elif isinstance(value, dict):
        for key, item in value.items():
            refuse_nul(key)
            refuse_nul(item)
    elif isinstance(value, list):
        for item in value:
            refuse_nul(item)
    return value


def read_json(request: HttpRequest) -> Any:
    """The request body as JSON (400 invalidSyntax when it is not)."""
    try:
        data = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise ScimError(400, "The request body is not JSON.", "invalidSyntax") from exc
    return refuse_nul(data)


def parse(model: type[ModelT], data: Any, *, context: Context) -> ModelT:
    """``data`` validated as ``model`` in the request's context, under our tolerance policy."""
    if not isinstance(data, dict):
        raise ScimError(400, "The request body must be a JSON object.", "invalidSyntax")
    try:
        return model.model_validate(  # type: ignore[attr-defined, no-any-return]
            data, scim_ctx=context, scim_policy=POLICY
        )
    except PydanticValidationError as exc:
        raise ScimError.from_validation(exc) from exc
    except SCIMException as exc:
        raise ScimError.from_scim(exc) from exc
    except (ValueError, TypeError) as exc:
        raise ScimError(400, str(exc)[:300] or "Invalid value.", "invalidValue") from exc


def replaced(resource: Any, original: Any) -> None:
    """PUT: ``resource`` takes ``original``'s read-only attributes, immutable ones checked."""
    try:
        resource.replace(original)
    except SCIMException as exc:
        raise ScimError.from_scim(exc) from exc


def patched(patch: PatchOp, resource: Any) -> None:
    """PATCH applied to ``resource`` as it stands; bad operations are SCIM errors."""
    try:
        patch.patch(resource, scim_policy=POLICY)
    except SCIMException as exc:
        raise ScimError.from_scim(exc) from exc
    except (ValueError, TypeError) as exc:
        raise ScimError(400, str(exc)[:300] or "Invalid value.", "invalidValue") from exc
