"""Every API error is JSON of one shape: a stable ``code`` a program can branch on, a
``message`` a person can read and, for bad input, ``fields`` with every field's problems (or
``items`` for a bulk request, each with its index)::

    {"code": "invalid", "message": "…", "fields": {"email": ["Enter a valid email address."]}}
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class BulkInvalid(exceptions.APIException):
    """A bulk request with bad items: nothing was changed; every bad item is reported."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid"

    def __init__(self, items: list[dict[str, Any]]) -> None:
        self.items = items
        count = len(items)
        super().__init__(
            f"{count} item{'s' if count != 1 else ''} {'have' if count != 1 else 'has'} "
            "problems; nothing was changed."
        )


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = "The request conflicts with the current state."


def _messages(detail: Any) -> Any:
    """DRF's ErrorDetail tree as plain strings, keeping its shape (dicts, lists, indexes)."""
    if isinstance(detail, dict):
        return {str(key): _messages(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_messages(value) for value in detail]
    return str(detail)


def _code(exc: exceptions.APIException) -> str:
    codes = exc.get_codes()
    if isinstance(codes, str):
        return codes
    return exc.default_code


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, Http404):
        exc = exceptions.NotFound("No such resource.")
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    body: dict[str, Any]
    if isinstance(exc, BulkInvalid):
        body = {"code": "invalid", "message": str(exc.detail), "items": exc.items}
    elif isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        fields = detail if isinstance(detail, dict) else {"non_field_errors": detail}
        body = {
            "code": "invalid",
            "message": "The request has problems; see fields. Nothing was changed.",
            "fields": _messages(fields),
        }
    else:
        body = {"code": _code(exc), "message": str(exc.detail)}
        if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
            body["retry_after"] = int(exc.wait) + 1
    response.data = body
    return response


# No cookie session reaches the API (keys only), so no CSRF check: a write to a wrong path must
# get this JSON 404, not Django's HTML CSRF page.
@csrf_exempt
def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Any path under /api/ that is no route: JSON, like every other answer of the API."""
    return JsonResponse({"code": "not_found", "message": "No such resource."}, status=404)
