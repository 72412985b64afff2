"""The base of every API view: the key's organisation scope around the whole request,
idempotent writes, and the organisation for the viewset's queries.

An app's viewset subclasses :class:`OrganizationAPIMixin` first::

    class ParticipantViewSet(OrganizationAPIMixin, viewsets.ReadOnlyModelViewSet): ...

and fetches through its selectors with ``self.organization``. Objects of another
organisation are not in the scope, so they answer 404 like missing ones."""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.utils import translation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from mentorship.acting import acting_through
from mentorship.api import idempotency
from mentorship.api.models import IdempotentRequest, OrganizationAPIKey
from mentorship.models import Organization
from mentorship.tenancy import tenant_scope


class OrganizationAPIMixin:
    """Mixed into APIView subclasses (first in the bases)."""

    _scope_stack: ExitStack
    _idempotent: IdempotentRequest | None = None

    @property
    def api_key(self) -> OrganizationAPIKey:
        return self.request.auth  # type: ignore[attr-defined]

    @property
    def organization(self) -> Organization:
        return self.api_key.organization

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        # The scope opens in initial(), once the key is known, and closes after the response is
        # finalised: serialising and paginating both query inside it.
        self._scope_stack = ExitStack()
        with self._scope_stack:
            # A machine interface: its messages (ours, DRF's, the shared forms') are a contract
            # in English, whatever language the caller's Accept-Language asks for.
            self._scope_stack.enter_context(translation.override(settings.LANGUAGE_CODE))
            try:
                return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
            except BaseException:
                # A server error: free the Idempotency-Key, so the client's retry runs.
                if self._idempotent is not None:
                    IdempotentRequest.objects.filter(pk=self._idempotent.pk).delete()
                raise

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        self._scope_stack.enter_context(tenant_scope(self.organization))
        key = self.api_key
        self._scope_stack.enter_context(acting_through(f"via API key “{key.name}”, {key.prefix}…"))
        self._idempotent = idempotency.claim(request, self.api_key)

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, idempotency.Replay):
            return exc.response
        return super().handle_exception(exc)  # type: ignore[misc]

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        if self._idempotent is not None and isinstance(response, Response):
            idempotency.settle(self._idempotent, response)
            self._idempotent = None
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        # The body is English whatever the caller asked for (dispatch), and says so: the
        # language middleware would otherwise name the caller's Accept-Language.
        response["Content-Language"] = settings.LANGUAGE_CODE
        return response


class OrganizationAPIView(OrganizationAPIMixin, APIView):
    """A plain API view (no model) inside the key's organisation."""


class ErrorSerializer(serializers.Serializer):
    """The shape of every error (``mentorship.api.errors``), for the schema."""

    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(required=False, child=serializers.JSONField())
    items = serializers.ListField(required=False, child=serializers.DictField())
    retry_after = serializers.IntegerField(required=False)


# The errors any request may get; endpoints add theirs (400 for writes, 404 for details, 409…).
COMMON_ERRORS = (401, 429)


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    """``extend_schema(responses={200: X, **error_responses(400, 404)})``: each status answered
    with the error shape, so clients (and schemathesis) know what to expect."""
    return {
        status: OpenApiResponse(response=ErrorSerializer, description="An error (see code)")
        for status in (*COMMON_ERRORS, *statuses)
    }


def path_id(what: str) -> OpenApiParameter:
    """The ``{id}`` of a detail route, for ``extend_schema(parameters=[path_id("pair")])``."""
    return OpenApiParameter(
        "id", OpenApiTypes.INT, OpenApiParameter.PATH, description=f"The {what}'s id."
    )
