"""``Authorization: Bearer <key>``: the organisation's API key names the organisation.

djangorestframework-api-key is a permission class; this is the authentication that finds the
key (across organisations, by its prefix and hash: the request names no organisation, the key
does) and hands the view its organisation. The view then runs inside that organisation's scope
(``mentorship.api.base.OrganizationAPIMixin``)."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from mentorship.api.models import OrganizationAPIKey
from mentorship.tenancy import across_all_organizations

# Recording every request's use would write a row per request; a minute is precise enough for
# "last used" in Settings.
LAST_USED_PRECISION = timedelta(minutes=1)


class KeyProblem(exceptions.AuthenticationFailed):
    """401 whose ``code`` says what is wrong with the key (missing, unknown, revoked, expired)."""


class APIKeyAuthentication(BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[AnonymousUser, OrganizationAPIKey]:
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            raise KeyProblem(
                "Send your API key as “Authorization: Bearer <key>”.", code="missing_key"
            )
        if len(header) != 2 or len(header[1]) > 200:
            raise KeyProblem("The Authorization header is malformed.", code="malformed_key")
        try:
            plain = header[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise KeyProblem(
                "The Authorization header is malformed.", code="malformed_key"
            ) from exc
        key = key_for_bearer(plain)
        if key is None:
            raise KeyProblem("This API key is not valid.", code="invalid_key")
        if key.revoked:
            raise KeyProblem("This API key has been revoked.", code="revoked_key")
        if key.has_expired:
            raise KeyProblem("This API key has expired.", code="expired_key")
        _record_use(key)
        return AnonymousUser(), key

    def authenticate_header(self, request: Request) -> str:
        # Makes DRF answer 401 (not 403) to a request without a usable key.
        return f'{self.keyword} realm="api"'


def key_for_bearer(plain: str) -> OrganizationAPIKey | None:
    """The key whose secret this is (revoked or expired included, so the answer can say which),
    with its organisation; None for anything else. Crosses organisations on purpose: the lookup
    is by the secret's prefix and hash, so it finds only the key that secret belongs to."""
    prefix, dot, _ = plain.partition(".")
    if not dot or not prefix:
        return None
    with across_all_organizations():
        key = (
            OrganizationAPIKey.objects.select_related("organization").filter(prefix=prefix).first()
        )
    if key is None or not key.is_valid(plain):
        return None
    return key


def _record_use(key: OrganizationAPIKey) -> None:
    now = timezone.now()
    if key.last_used_at and now - key.last_used_at < LAST_USED_PRECISION:
        return
    with across_all_organizations():
        OrganizationAPIKey.objects.filter(pk=key.pk).update(last_used_at=now)
    key.last_used_at = now
