"""Writes of single sign-on sign-ins: a SAML assertion used once, a refusal in the audit log, a
connection test's result, and what a completed sign-in gives the person (just-in-time
membership, directory attributes). Callers run inside the organisation's scope."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.db import IntegrityError, transaction
from django.utils import timezone

from mentorship import services as kernel
from mentorship.identity import provisioning
from mentorship.identity.models import ConsumedAssertion, SingleSignOn
from mentorship.models import AuditEvent, Membership, User

# An assertion that says nothing of its expiry is remembered this long: long past any
# reasonable validity window, so a replay within it is refused.
ASSERTION_DEFAULT_MEMORY = timedelta(days=30)
# The test result keeps at most this much of what was received (a misconfigured IdP may send
# a large group list): enough to check a mapping, never a page's worth.
TEST_MAX_ATTRIBUTES = 60
TEST_MAX_VALUE_LENGTH = 200
TEST_MAX_VALUES = 10
# Claims that are protocol plumbing, not facts about the person (and a nonce is a secret of the
# exchange): left out of what a test shows.
TEST_HIDDEN_CLAIMS = frozenset({"nonce", "at_hash", "c_hash", "auth_time", "jti", "sid"})


def assertion_consume(
    *, sso: SingleSignOn, assertion_id: str, not_on_or_after: int | float | None
) -> bool:
    """Record that the assertion signed someone in; False when it already had (a replay).

    The unique constraint decides, so two concurrent uses of one assertion cannot both pass.
    Rows whose assertion has expired are deleted on the way (a replay of those is refused by
    the assertion's own validity window)."""
    now = timezone.now()
    if not_on_or_after:
        expires_at = datetime.fromtimestamp(float(not_on_or_after), tz=UTC)
    else:
        expires_at = now + ASSERTION_DEFAULT_MEMORY
    ConsumedAssertion.objects.filter(organization=sso.organization, expires_at__lt=now).delete()
    try:
        with transaction.atomic():
            ConsumedAssertion.objects.create(
                organization=sso.organization,
                assertion_id=assertion_id[:255],
                expires_at=expires_at,
            )
    except IntegrityError:
        return False
    return True


def sign_in_refused_record(*, sso: SingleSignOn, reason: str) -> None:
    """Tell the organisation's audit log that its provider's sign-in was refused, and why."""
    kernel.audit_record(
        organization=sso.organization,
        action=AuditEvent.Action.SSO_REFUSED,
        summary=f"Single sign-on refused: {reason}",
    )


def _shown(values: object) -> list[str]:
    items = values if isinstance(values, list | tuple) else [values]
    return [str(v)[:TEST_MAX_VALUE_LENGTH] for v in items[:TEST_MAX_VALUES] if v is not None]


def sso_test_record(
    *,
    sso: SingleSignOn,
    actor: User,
    subject: str,
    received: dict[str, object],
    mapped: dict[str, object],
    claimed: bool,
) -> SingleSignOn:
    """Keep what a test sign-in received for the HR admin who ran it, and mark the
    configuration tested (a draft becomes "tested"; a live one stays live).

    ``test_attributes`` holds ``subject`` (the provider's id for the person), ``received``
    (attribute or claim name → up to ten values as text, protocol plumbing left out),
    ``mapped`` (profile field → value, None where nothing was found) and ``claimed`` (whether
    the address is in one of the organisation's claimed domains: outside them a real sign-in
    would be refused)."""
    shown = {
        str(name)[:TEST_MAX_VALUE_LENGTH]: _shown(value)
        for name, value in sorted(received.items())
        if name not in TEST_HIDDEN_CLAIMS
    }
    sso.test_attributes = {
        "subject": subject[:TEST_MAX_VALUE_LENGTH],
        "received": dict(list(shown.items())[:TEST_MAX_ATTRIBUTES]),
        "mapped": mapped,
        "claimed": claimed,
    }
    sso.tested_at = timezone.now()
    sso.tested_by = actor
    if sso.status == SingleSignOn.Status.DRAFT:
        sso.status = SingleSignOn.Status.TESTED
    sso.save(update_fields=["test_attributes", "tested_at", "tested_by", "status"])
    kernel.audit_record(
        organization=sso.organization,
        action=AuditEvent.Action.SSO_TESTED,
        summary=f"Single sign-on tested: received {len(shown)} attributes for {subject[:80]}",
        actor=actor,
    )
    return sso


def sign_in_complete(
    *, sso: SingleSignOn, user: User, attributes: provisioning.DirectoryAttributes
) -> Membership | None:
    """After a completed sign-in through the organisation's provider: a member's directory
    profile takes the attributes; a newcomer joins as a participant where the organisation
    says so (``new_people``), and gets nothing otherwise (until invited). Someone an HR admin
    removed stays removed: a sign-in is no decision to take them back (SCIM's re-activation
    is). Never a membership of any other organisation."""
    with transaction.atomic():
        membership = Membership.objects.filter(organization=sso.organization, user=user).first()
        if membership is not None and membership.removed_at is None:
            provisioning.directory_profile_update(membership=membership, attributes=attributes)
            return membership
        if membership is not None or sso.new_people != SingleSignOn.NewPeople.PARTICIPANT:
            return None
        return provisioning.member_provision(
            organization=sso.organization,
            user=user,
            attributes=attributes,
            source="single sign-on",
        )


def address_verify(*, user: User, email: str) -> None:
    """The organisation's provider vouched for ``email``, in a domain it claimed: the account's
    copy of it counts as verified (allauth wiped any password set on it while unverified)."""
    EmailAddress.objects.filter(user=user, email__iexact=email, verified=False).update(
        verified=True
    )


def break_glass_record(*, sso: SingleSignOn, user: User, ip_address: str | None) -> None:
    kernel.audit_record(
        organization=sso.organization,
        action=AuditEvent.Action.BREAK_GLASS_SIGN_IN,
        summary=f"{user.email} signed in with password and second factor (break-glass)",
        actor=user,
        ip_address=ip_address,
    )


def stale_link_forget(*, sso: SingleSignOn, account_pk: int) -> None:
    """A link made through the organisation's previous provider: forgotten, so the next sign-in
    through today's provider is matched by address (and its domain checked), not by a subject
    id the new provider may hand to anyone."""
    SocialAccount.objects.filter(pk=account_pk, provider=sso.provider_id).delete()
