"""What a key may do: read with any live key, write only with a read-write one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rest_framework import exceptions
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from mentorship.api.models import OrganizationAPIKey

if TYPE_CHECKING:
    from rest_framework.views import APIView


class ReadOnlyKey(exceptions.PermissionDenied):
    default_detail = "This API key may only read. Create a read-write key to make changes."
    default_code = "read_only_key"


class OrganizationKeyPermission(BasePermission):
    def has_permission(self, request: Request, view: APIView) -> bool:
        key = request.auth
        if not isinstance(key, OrganizationAPIKey):
            return False
        if request.method not in SAFE_METHODS and not key.can_write:
            raise ReadOnlyKey()
        return True
