"""API keys of an organisation, and the remembered answers of idempotent writes."""

from __future__ import annotations

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django_scopes import ScopedManager
from rest_framework_api_key.models import AbstractAPIKey, APIKeyManager

from mentorship.models import User
from mentorship.tenancy import TenantModel


class OrganizationAPIKey(AbstractAPIKey, TenantModel):
    """A key of the organisation's API: shown once, stored as a prefix and a SHA-512 hash
    (djangorestframework-api-key), read-only or read-write, revocable, optionally expiring."""

    # AbstractAPIKey's "name", "prefix", "hashed_key", "created", "revoked", "expiry_date".
    can_write = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    # djangorestframework-api-key's manager (``create_key``, ``get_from_key``) under the tenant
    # scope: a query with no organisation scope raises, as for every tenant model.
    objects = ScopedManager(organization="organization", _manager_class=APIKeyManager)

    class Meta(AbstractAPIKey.Meta):
        ordering = ["-created", "-prefix"]
        verbose_name = "API key"
        verbose_name_plural = "API keys"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def access(self) -> str:
        return "read-write" if self.can_write else "read"


class IdempotentRequest(TenantModel):
    """The first answer to a write sent with an ``Idempotency-Key``: a retry of the same request
    gets it again instead of writing twice. Claimed (``status_code`` null) before the write runs,
    so two copies sent at once cannot both write."""

    # The key that sent it first (a retry may come with another key of the organisation).
    api_key = models.ForeignKey(
        OrganizationAPIKey, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    key = models.CharField(max_length=255)
    # SHA-256 of method, path and body: the same key with another request is a client error.
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "key"], name="idempotency_key_once_per_organization"
            )
        ]
        indexes = [
            models.Index(fields=["organization", "created_at"], name="idempotency_created_idx")
        ]
