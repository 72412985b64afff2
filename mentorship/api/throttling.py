"""A rate limit per API key, counted on the shared cache (Redis in production, the file cache on
the embedded default), so it holds across web processes. DRF answers 429 with ``Retry-After``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from mentorship.api.models import OrganizationAPIKey

if TYPE_CHECKING:
    from rest_framework.views import APIView


class PerKeyRateThrottle(SimpleRateThrottle):
    scope = "api_key"

    def get_rate(self) -> str | None:
        return settings.API_RATE_LIMIT or None

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        key = request.auth
        if not isinstance(key, OrganizationAPIKey):
            return None
        return self.cache_format % {"scope": self.scope, "ident": key.pk}
