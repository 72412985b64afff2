"""Idempotent writes: a write sent with an ``Idempotency-Key`` header runs once; a retry of
the same request (same key, method, path and body, sent with any API key of the organisation:
rotating keys mid-retry is common) within 24 hours gets the first answer again,
marked ``Idempotent-Replayed: true``. The key with another request is refused (422); a retry
while the first is still running is refused (409) rather than run twice."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response

from mentorship.api.models import IdempotentRequest, OrganizationAPIKey
from mentorship.api.parsers import check_size

HEADER = "Idempotency-Key"
KEPT_FOR = timedelta(hours=24)
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class IdempotencyKeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_reused"
    default_detail = "This Idempotency-Key was already used for a different request."


class IdempotencyInProgress(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "idempotency_in_progress"
    default_detail = "A request with this Idempotency-Key is still being processed; retry later."


class Replay(Exception):
    """Carries the remembered answer out of ``claim`` (see OrganizationAPIMixin)."""

    def __init__(self, response: Response) -> None:
        self.response = response


def _fingerprint(request: Request) -> str:
    check_size(request.META.get("CONTENT_LENGTH"))
    digest = hashlib.sha256()
    digest.update(request.method.encode() + b"\n" + request.get_full_path().encode() + b"\n")
    digest.update(request._request.body)
    return digest.hexdigest()


def claim(request: Request, api_key: OrganizationAPIKey) -> IdempotentRequest | None:
    """The claim row of this write, or None when the request carries no key or is a read.
    Raises ``Replay`` with the first answer when this request was already answered."""
    raw = request.headers.get(HEADER)
    if raw is None or request.method not in WRITE_METHODS:
        return None
    key = raw.strip()
    if not key or len(key) > 255:
        raise exceptions.ValidationError(
            {HEADER: ["Send between 1 and 255 characters, e.g. a UUID."]}
        )
    fingerprint = _fingerprint(request)
    now = timezone.now()
    # The organisation's, not the key's: a retry sent with another of its keys (while rotating
    # keys) is the same operation.
    organization = api_key.organization
    IdempotentRequest.objects.filter(
        organization=organization, created_at__lt=now - KEPT_FOR
    ).delete()
    try:
        with transaction.atomic():
            return IdempotentRequest.objects.create(
                organization=organization,
                api_key=api_key,
                key=key,
                fingerprint=fingerprint,
                created_at=now,
            )
    except IntegrityError:
        pass
    existing = IdempotentRequest.objects.filter(organization=organization, key=key).first()
    if existing is None:  # deleted by the first request's failure in the meantime
        raise IdempotencyInProgress()
    if existing.fingerprint != fingerprint:
        raise IdempotencyKeyReused()
    if existing.status_code is None:
        raise IdempotencyInProgress()
    response = Response(existing.response_body, status=existing.status_code)
    response["Idempotent-Replayed"] = "true"
    raise Replay(response)


def settle(row: IdempotentRequest, response: Response) -> None:
    """Remember the answer of a write, or free the key when the server failed (a retry may then
    run it): a 5xx is no answer to give again."""
    if response.status_code >= 500:
        IdempotentRequest.objects.filter(pk=row.pk).delete()
        return
    IdempotentRequest.objects.filter(pk=row.pk).update(
        status_code=response.status_code, response_body=getattr(response, "data", None)
    )
