"""Bearer tokens of the SCIM endpoint: made by HR admins in Settings (or an operator's command),
shown once, stored as a SHA-256 hash, revocable, their last use recorded."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mentorship import services as kernel
from mentorship.identity.models import ScimToken
from mentorship.models import AuditEvent, Organization, User, hash_token
from mentorship.tenancy import across_all_organizations

TOKEN_PREFIX = "scim_"
# Recording every request's use would write a row per request of a sync that sends thousands;
# a minute is precise enough for "last used" in Settings.
LAST_USED_PRECISION = timedelta(minutes=1)


def scim_token_create(
    *, organization: Organization, name: str, actor: User | None
) -> tuple[ScimToken, str]:
    """A new token of the organisation, and its secret: the one time it can be shown."""
    name = name.strip()[: ScimToken._meta.get_field("name").max_length]
    if not name:
        raise ValidationError(_("Give the token a name, e.g. the identity provider it is for."))
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ScimToken.objects.create(
            organization=organization,
            name=name,
            prefix=plain[:12],
            token_hash=hash_token(plain),
            created_by=actor,
        )
        kernel.audit_record(
            organization=organization,
            action=AuditEvent.Action.SCIM_TOKEN_CREATED,
            summary=f"Provisioning token “{name}” ({token.prefix}…) created",
            actor=actor,
        )
    return token, plain


def scim_token_revoke(*, token: ScimToken, actor: User | None) -> ScimToken:
    """Stop the token working at once. Revoking twice changes nothing the second time."""
    with transaction.atomic():
        revoked = ScimToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        if revoked:
            kernel.audit_record(
                organization=token.organization,
                action=AuditEvent.Action.SCIM_TOKEN_REVOKED,
                summary=f"Provisioning token “{token.name}” ({token.prefix}…) revoked",
                actor=actor,
            )
    token.refresh_from_db()
    return token


def scim_token_for_bearer(plain: str) -> ScimToken | None:
    """The live token whose secret this is, with its organisation; None for anything else.

    Crosses organisations on purpose: the request names no organisation, the token does. The
    lookup is by the secret's hash, so it can only find the one token that secret belongs to.
    """
    if not plain.startswith(TOKEN_PREFIX) or len(plain) > 200:
        return None
    with across_all_organizations():
        token = (
            ScimToken.objects.select_related("organization")
            .filter(token_hash=hash_token(plain), revoked_at__isnull=True)
            .first()
        )
        if token is None:
            return None
        now = timezone.now()
        if token.last_used_at is None or token.last_used_at < now - LAST_USED_PRECISION:
            ScimToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
    return token
