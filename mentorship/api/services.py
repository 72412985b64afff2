"""Writes of API keys: made by HR admins in Settings (or an operator's command), shown once,
revocable; both audited."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mentorship import services as kernel
from mentorship.api.models import OrganizationAPIKey
from mentorship.models import AuditEvent, Organization, User


def api_key_create(
    *,
    organization: Organization,
    name: str,
    can_write: bool,
    expires_on: date | None = None,
    actor: User | None,
) -> tuple[OrganizationAPIKey, str]:
    """A new key of the organisation, and its secret: the one time it can be shown. An expiry
    date means the key works until the end of that day (UTC)."""
    name = name.strip()[: OrganizationAPIKey._meta.get_field("name").max_length]
    if not name:
        raise ValidationError({"name": _("Give the key a name, e.g. the system that will use it.")})
    expiry: datetime | None = None
    if expires_on is not None:
        if expires_on < timezone.now().date():
            raise ValidationError({"expires_on": _("The expiry date is in the past.")})
        expiry = datetime.combine(expires_on, time.max, tzinfo=UTC)
    with transaction.atomic():
        key, plain = OrganizationAPIKey.objects.create_key(
            organization=organization,
            name=name,
            can_write=can_write,
            expiry_date=expiry,
            created_by=actor,
        )
        kernel.audit_record(
            organization=organization,
            action=AuditEvent.Action.API_KEY_CREATED,
            summary=f"API key “{name}” ({key.prefix}…, {key.access}) created",
            actor=actor,
        )
    return key, plain


def api_key_revoke(*, key: OrganizationAPIKey, actor: User | None) -> OrganizationAPIKey:
    """Stop the key working at once. Revoking twice changes nothing the second time."""
    with transaction.atomic():
        revoked = OrganizationAPIKey.objects.filter(pk=key.pk, revoked=False).update(
            revoked=True, revoked_at=timezone.now()
        )
        if revoked:
            kernel.audit_record(
                organization=key.organization,
                action=AuditEvent.Action.API_KEY_REVOKED,
                summary=f"API key “{key.name}” ({key.prefix}…) revoked",
                actor=actor,
            )
    key.refresh_from_db()
    return key
