"""Members made and ended by the organisation's directory: just-in-time accounts at an SSO
sign-in, and SCIM. One path for both, so the rules hold whichever way a person arrives:

- an account is created for a new address; its address counts as verified only when the
  organisation claimed its domain (its identity provider speaks for that domain and no other);
- a membership of *this* organisation only, with the participant role (never more: HR admin and
  sponsor are granted by people, or by a directory group mapped to them in Settings);
- a member who was removed comes back as a participant (old roles do not return);
- what the directory says of the person (department, title, manager, level) is kept on their
  ``DirectoryProfile`` and sent to ``programs`` with ``member_attributes_changed``.

Callers run inside the organisation's scope (a request under ``/o/<slug>/``, the SCIM view, or
``tenant_scope`` in an SSO receiver)."""

from __future__ import annotations

from dataclasses import dataclass, fields

from allauth.account.models import EmailAddress
from allauth.usersessions.adapter import get_adapter as get_usersessions_adapter
from allauth.usersessions.models import UserSession
from django.db import transaction
from django.utils import timezone

from mentorship import services as kernel
from mentorship.identity import selectors
from mentorship.identity.models import DirectoryProfile
from mentorship.models import AuditEvent, Membership, Organization, Role, User
from mentorship.signals import member_attributes_changed, member_joined
from mentorship.tenancy import across_all_organizations


class AccountNotOurs(ValueError):
    """The address belongs to an existing account the organisation cannot take in on its own."""


@dataclass(frozen=True)
class DirectoryAttributes:
    """What a directory may say of a person; ``None`` means "not sent" (left as it is)."""

    department: str | None = None
    title: str | None = None
    manager_email: str | None = None
    level: int | None = None
    employee_number: str | None = None

    def sent(self) -> dict[str, object]:
        return {
            f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None
        }


def user_for_email(
    *, organization: Organization, email: str, first_name: str = "", last_name: str = ""
) -> User:
    """The account of ``email``, created without a password when there is none. The address is
    marked verified only in a domain the organisation claimed.

    An existing account is taken only when its address is in a claimed domain or it is already
    a member here (even a removed one): a directory cannot pull anyone else's account into the
    organisation. Raises ``AccountNotOurs`` otherwise."""
    email = email.strip().lower()
    claimed = selectors.is_claimed_by(organization=organization, email=email)
    owner = None if claimed else selectors.domain_owner(domain=selectors.email_domain(email))
    if owner is not None:
        # Another organisation speaks for this domain: its people arrive through its own
        # provider, never in an account (and names) another organisation's directory made.
        raise AccountNotOurs(
            f"The domain of {email} is claimed by another organisation: its people cannot be "
            "provisioned here. Invite this person instead."
        )
    user = User.objects.filter(email__iexact=email).first()
    if (
        user is not None
        and not claimed
        and not Membership.objects.filter(organization=organization, user=user).exists()
    ):
        # Someone else's account: the organisation speaks for its own domains only. It invites
        # this person, who then accepts (or not).
        raise AccountNotOurs(
            f"An account with the address {email} already exists outside this organisation's "
            "claimed domains: invite this person instead, or claim the domain first."
        )
    if (
        user is not None
        and claimed
        and selectors.account_is_elsewhere(user=user, organization=organization)
    ):
        raise AccountNotOurs(
            f"The account of {email} already works with another organisation: invite this "
            "person instead."
        )
    if user is None:
        user = User.objects.create_user(
            email=email, first_name=first_name[:150], last_name=last_name[:150]
        )
    elif (first_name and not user.first_name) or (last_name and not user.last_name):
        user.first_name = user.first_name or first_name[:150]
        user.last_name = user.last_name or last_name[:150]
        user.save(update_fields=["first_name", "last_name"])
    if claimed:
        address, _ = EmailAddress.objects.get_or_create(
            user=user, email=email, defaults={"primary": True, "verified": True}
        )
        if not address.verified:
            address.verified = True
            address.save(update_fields=["verified"])
    return user


def member_provision(
    *,
    organization: Organization,
    user: User,
    attributes: DirectoryAttributes | None = None,
    source: str,
    actor: User | None = None,
) -> Membership:
    """Make ``user`` an active participant member of ``organization`` (idempotent), and record
    what the directory says of them. ``source`` names the way in for the audit log."""
    with transaction.atomic():
        existing = (
            Membership.objects.filter(organization=organization, user=user)
            .select_for_update()
            .first()
        )
        joined = existing is None or existing.removed_at is not None
        if joined:
            membership = kernel.membership_grant(
                organization=organization, user=user, role=Role.PARTICIPANT
            )
            kernel.audit_record(
                organization=organization,
                action=AuditEvent.Action.MEMBER_PROVISIONED,
                summary=f"{user.email} joined as Participant ({source})",
                actor=actor,
            )
            member_joined.send(sender=Membership, membership=membership)
        else:
            membership = existing
        if attributes is not None:
            directory_profile_update(membership=membership, attributes=attributes)
    return membership


def directory_profile_update(
    *, membership: Membership, attributes: DirectoryAttributes
) -> DirectoryProfile:
    """Keep what the directory sent; tell ``programs`` when something changed."""
    profile, _ = DirectoryProfile.objects.get_or_create(
        membership=membership, defaults={"organization": membership.organization}
    )
    changed = {
        name: value for name, value in attributes.sent().items() if getattr(profile, name) != value
    }
    if changed:
        for name, value in changed.items():
            setattr(profile, name, value)
        profile.updated_at = timezone.now()
        profile.full_clean(exclude=["organization", "membership"])
        profile.save()
        member_attributes_changed.send(
            sender=Membership,
            membership=membership,
            attributes={k: v for k, v in changed.items() if k != "employee_number"},
        )
    return profile


def member_deprovision(*, membership: Membership, source: str, actor: User | None = None) -> None:
    """End the membership at once, as removing a member does (history kept, calendar feed and
    future meetings dealt with by the apps' receivers), and sign the person out everywhere: the
    directory says they are gone (unless they still belong to another organisation, whose
    sessions are not this directory's to end). The last HR admin cannot be deprovisioned
    (``ValidationError``), so a directory mistake cannot lock the organisation out of its own
    settings."""
    if membership.removed_at is not None:
        return
    with transaction.atomic():
        kernel.membership_remove(membership=membership, actor=actor)
        kernel.audit_record(
            organization=membership.organization,
            action=AuditEvent.Action.MEMBER_DEPROVISIONED,
            summary=f"{membership.user.email} was deprovisioned ({source})",
            actor=actor,
        )
        user = membership.user
        transaction.on_commit(lambda: _sign_out_unless_member_elsewhere(user))


def _sign_out_unless_member_elsewhere(user: User) -> None:
    """End the person's sessions, unless they still belong to another organisation: its
    sessions are its business, and this organisation's pages refuse them from now on anyway
    (the membership is checked on every request)."""
    with across_all_organizations():  # on purpose: any organisation the person still belongs to
        elsewhere = Membership.objects.filter(user=user, removed_at__isnull=True).exists()
    if not elsewhere:
        get_usersessions_adapter().end_sessions(list(UserSession.objects.filter(user=user)))
