"""Writes of the kernel: organisations, memberships, invitations, notifications, audit.

Services take keyword-only arguments, validate, write inside a transaction, and enqueue
background work only after the transaction commits.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mentorship import selectors
from mentorship.acting import attributed
from mentorship.i18n import in_language, language_for
from mentorship.models import (
    ROLE_FIELDS,
    AuditEvent,
    Invitation,
    Membership,
    Notification,
    Organization,
    Role,
    SignIn,
    User,
)
from mentorship.signals import anonymity_threshold_changed, member_joined, member_removed
from mentorship.tasks import (
    deliver_notification_email,
    deliver_notification_emails,
    dispatch_invitation_emails,
    send_invitation_email,
)
from mentorship.tenancy import tenant_scope

logger = logging.getLogger(__name__)


# --- Audit ---------------------------------------------------------------------------------------


def audit_record(
    *,
    organization: Organization,
    action: AuditEvent.Action,
    summary: str,
    actor: User | None = None,
    ip_address: str | None = None,
) -> AuditEvent:
    return AuditEvent.objects.create(
        organization=organization,
        action=action,
        summary=attributed(summary),
        actor=actor,
        ip_address=ip_address,
    )


def audit_record_many(
    *,
    organization: Organization,
    action: AuditEvent.Action,
    summaries: list[str],
    actor: User | None = None,
) -> None:
    """One event per summary, in one insert (an import may change many people at once)."""
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(organization=organization, action=action, summary=attributed(s), actor=actor)
            for s in summaries
        ],
        batch_size=1000,
    )


def sign_in_record(
    *, user: User, succeeded: bool, method: SignIn.Method, ip_address: str | None
) -> SignIn:
    """Record a sign-in to ``user``'s account, or a failed attempt on it, for them to see.

    Never in an organisation: someone who belongs to several would tell each of them when and
    from where they signed in to work for the others. An organisation records that they came in
    (:func:`audit_organization_entered`), when they do.
    """
    return SignIn.objects.create(
        user=user, succeeded=succeeded, method=method, ip_address=ip_address
    )


def audit_organization_entered(*, membership: Membership, ip_address: str | None) -> AuditEvent:
    """Record in the member's organisation, and there only, that they came in (the first page
    of the organisation a session opens; see ``mentorship.tenancy``)."""
    user = membership.user
    return audit_record(
        organization=membership.organization,
        action=AuditEvent.Action.ORGANIZATION_ENTERED,
        summary=f"{user.email} entered the organisation",
        actor=user,
        ip_address=ip_address,
    )


# --- Organisations and memberships ---------------------------------------------------------------


def organization_create(*, slug: str, name: str, mfa_required: bool = True) -> Organization:
    return Organization.objects.create(slug=slug, name=name, mfa_required=mfa_required)


def organization_update(
    *,
    organization: Organization,
    actor: User,
    name: str,
    anonymity_threshold: int,
    mfa_required: bool,
    default_language: str | None = None,
) -> Organization:
    if anonymity_threshold < 3:
        raise ValidationError(_("The anonymity threshold is never below 3."))
    changes = []
    k_changed = organization.anonymity_threshold != anonymity_threshold
    if k_changed:
        changes.append(f"k {organization.anonymity_threshold} → {anonymity_threshold}")
    if organization.mfa_required != mfa_required:
        changes.append(f"two-factor required: {'yes' if mfa_required else 'no'}")
    if not default_language:  # not sent (an older form, an API caller): unchanged
        default_language = organization.default_language
    if default_language not in dict(settings.LANGUAGES):
        raise ValidationError(_("Choose one of the languages offered."))
    if organization.default_language != default_language:
        changes.append(f"default language {organization.default_language} → {default_language}")
    with transaction.atomic():
        organization.name = name.strip() or organization.name
        organization.anonymity_threshold = anonymity_threshold
        organization.mfa_required = mfa_required
        organization.default_language = default_language
        organization.save(
            update_fields=["name", "anonymity_threshold", "mfa_required", "default_language"]
        )
        if k_changed:
            anonymity_threshold_changed.send(
                sender=Organization, organization=organization, k=anonymity_threshold
            )
        if changes:
            audit_record(
                organization=organization,
                action=AuditEvent.Action.SETTINGS_CHANGED,
                summary="Settings changed: " + "; ".join(changes),
                actor=actor,
            )
    return organization


def membership_grant(*, organization: Organization, user: User, role: Role) -> Membership:
    """Give ``user`` the role in the organisation, creating or reactivating the membership."""
    with transaction.atomic():
        membership, _created = Membership.objects.select_for_update().get_or_create(
            organization=organization, user=user
        )
        if membership.removed_at is not None:
            # Coming back after removal starts afresh: old roles (HR admin, say) do not return.
            for field in ROLE_FIELDS.values():
                setattr(membership, field, False)
            membership.removed_at = None
        setattr(membership, ROLE_FIELDS[Role(role)], True)
        membership.save()
    return membership


def _guard_last_hr_admin(membership: Membership) -> None:
    """Refuse to take away the last HR admin. Call inside the transaction that makes the change:
    the HR admins' rows are locked, so two admins demoting each other cannot both pass."""
    if membership.is_hr_admin and selectors.hr_admin_count_locked() <= 1:
        raise ValidationError(
            _("This is the organisation's only HR admin. Make someone else an HR admin first.")
        )


def membership_set_roles(
    *, membership: Membership, roles: Iterable[Role], actor: User
) -> Membership:
    new_roles = {Role(r) for r in roles}
    if not new_roles:
        raise ValidationError(
            _("A member needs at least one role. To take all access away, remove them.")
        )
    if new_roles == set(membership.roles):
        return membership
    with transaction.atomic():
        if Role.HR_ADMIN not in new_roles:
            _guard_last_hr_admin(membership)
        for role, field in ROLE_FIELDS.items():
            setattr(membership, field, role in new_roles)
        membership.save(update_fields=[*ROLE_FIELDS.values(), "updated_at"])
        labels = ", ".join(sorted(r.english_label for r in new_roles))
        audit_record(
            organization=membership.organization,
            action=AuditEvent.Action.ROLES_CHANGED,
            summary=f"{membership.user.email} now has roles: {labels}",
            actor=actor,
        )
    return membership


def membership_remove(*, membership: Membership, actor: User | None) -> Membership:
    """Take the member's access away; their rows (sessions, answers, audit) stay as they are."""
    with transaction.atomic():
        _guard_last_hr_admin(membership)
        membership.removed_at = timezone.now()
        membership.save(update_fields=["removed_at", "updated_at"])
        audit_record(
            organization=membership.organization,
            action=AuditEvent.Action.MEMBER_REMOVED,
            summary=f"{membership.user.email} was removed from the organisation",
            actor=actor,
        )
        # Apps above the kernel (pairings: the calendar feed) end what belonged to the member.
        member_removed.send(sender=Membership, membership=membership)
    return membership


# --- Invitations ---------------------------------------------------------------------------------


def invitation_create(
    *, organization: Organization, email: str, role: Role, invited_by: User | None
) -> Invitation:
    """Invite ``email`` with ``role``; the email goes out after commit.

    A still-pending invitation of the same address for the same role is withdrawn, so only the
    newest link works.
    """
    email = email.strip().lower()
    existing = Membership.objects.filter(user__email__iexact=email, removed_at__isnull=True).first()
    if existing is not None and existing.has_role(role):
        raise ValidationError(
            _("%(email)s is already a member with the role %(role)s.")
            % {"email": email, "role": Role(role).label}
        )
    now = timezone.now()
    with transaction.atomic():
        selectors.invitations_pending().filter(email=email, role=role).update(revoked_at=now)
        invitation = Invitation.objects.create(
            organization=organization,
            email=email,
            role=role,
            invited_by=invited_by,
            expires_at=now + timedelta(days=settings.INVITATION_VALID_DAYS),
        )
        audit_record(
            organization=organization,
            action=AuditEvent.Action.INVITATION_SENT,
            summary=f"{email} invited as {Role(role).english_label}",
            actor=invited_by,
        )
        send_invitation_email.delay_on_commit(
            organization_id=organization.pk, invitation_id=invitation.pk
        )
    return invitation


def invitations_create_bulk(
    *, organization: Organization, emails: Iterable[str], role: Role, invited_by: User | None
) -> int:
    """Invite many addresses at once (imports). Skips those already members with the role and
    those with a pending invitation for it. The emails go out through the dispatcher, woken
    once after commit, instead of one task per address. Returns how many were invited."""
    wanted = {e.strip().lower() for e in emails if e.strip()}
    if not wanted:
        return 0
    members = {
        m.user.email.lower()
        for m in Membership.objects.filter(
            removed_at__isnull=True, **{ROLE_FIELDS[Role(role)]: True}
        )
        .select_related("user")
        .only("user__email", *ROLE_FIELDS.values())
    }
    pending = set(selectors.invitations_pending().filter(role=role).values_list("email", flat=True))
    now = timezone.now()
    new = sorted(wanted - members - pending)
    Invitation.objects.bulk_create(
        [
            Invitation(
                organization=organization,
                email=email,
                role=role,
                invited_by=invited_by,
                expires_at=now + timedelta(days=settings.INVITATION_VALID_DAYS),
            )
            for email in new
        ],
        batch_size=1000,
    )
    if new:
        audit_record(
            organization=organization,
            action=AuditEvent.Action.INVITATION_SENT,
            summary=f"{len(new)} people invited as {Role(role).english_label} by import",
            actor=invited_by,
        )
        dispatch_invitation_emails.delay_on_commit()
    return len(new)


def invitation_revoke(*, invitation: Invitation, actor: User) -> Invitation:
    with transaction.atomic():
        revoked = (
            selectors.invitations_pending()
            .filter(pk=invitation.pk)
            .update(revoked_at=timezone.now())
        )
        if revoked != 1:
            invitation.refresh_from_db()
            raise ValidationError(
                INVITATION_ALREADY.get(invitation.status, _("This invitation cannot be used."))
            )
        audit_record(
            organization=invitation.organization,
            action=AuditEvent.Action.INVITATION_REVOKED,
            summary=f"Invitation of {invitation.email} revoked",
            actor=actor,
        )
    invitation.refresh_from_db()
    return invitation


INVITATION_PROBLEMS: dict[Invitation.Status, Promise] = {
    Invitation.Status.ACCEPTED: gettext_lazy("This invitation has already been used."),
    Invitation.Status.REVOKED: gettext_lazy("This invitation was withdrawn by an HR admin."),
    Invitation.Status.EXPIRED: gettext_lazy("This invitation has expired."),
}

# Why a revocation finds nothing to revoke (whole sentences, one per status).
INVITATION_ALREADY: dict[Invitation.Status, Promise] = {
    Invitation.Status.ACCEPTED: gettext_lazy("This invitation is already accepted."),
    Invitation.Status.REVOKED: gettext_lazy("This invitation is already revoked."),
    Invitation.Status.EXPIRED: gettext_lazy("This invitation is already expired."),
    Invitation.Status.PENDING: gettext_lazy("This invitation is already pending."),
}


def invitation_address_problem(*, invitation: Invitation, user: User) -> str:
    """Why ``user`` cannot accept (a forwarded link), or "" when their verified email matches."""
    if EmailAddress.objects.filter(
        user=user, email__iexact=invitation.email, verified=True
    ).exists():
        return ""
    return _(
        "This invitation is for %(invited)s, but you are signed in as %(email)s. "
        "Sign out and sign in (or sign up) with the invited address."
    ) % {"invited": invitation.email, "email": user.email}


def invitation_accept(*, invitation: Invitation, user: User) -> Membership:
    """Turn the invitation into a membership for ``user``, whose verified email must match."""
    problem = INVITATION_PROBLEMS.get(invitation.status)
    if problem:
        raise ValidationError(" ".join([str(problem), _("Ask your HR admin for a new one.")]))
    address_problem = invitation_address_problem(invitation=invitation, user=user)
    if address_problem:
        raise ValidationError(address_problem)
    organization = invitation.organization
    with tenant_scope(organization), transaction.atomic():
        claimed = (
            selectors.invitations_pending()
            .filter(pk=invitation.pk)
            .update(accepted_at=timezone.now(), accepted_by=user)
        )
        if claimed != 1:  # used, withdrawn or expired a moment ago
            invitation.refresh_from_db()
            problem = INVITATION_PROBLEMS.get(invitation.status)
            raise ValidationError(str(problem or _("This invitation cannot be used.")))
        membership = membership_grant(
            organization=organization, user=user, role=Role(invitation.role)
        )
        audit_record(
            organization=organization,
            action=AuditEvent.Action.INVITATION_ACCEPTED,
            summary=f"{user.email} joined as {Role(invitation.role).english_label}",
            actor=user,
        )
        # Apps above the kernel (programs) link what waited for this person by email.
        member_joined.send(sender=Membership, membership=membership)
    return membership


# --- Notifications -------------------------------------------------------------------------------


def subject_fit(subject: str) -> str:
    """``subject`` cut to what ``Notification.subject`` holds, ending with an ellipsis if cut."""
    limit = Notification._meta.get_field("subject").max_length or len(subject)
    return subject if len(subject) <= limit else subject[: limit - 1].rstrip() + "\u2026"


def notification_send(
    *,
    organization: Organization,
    recipient: User,
    subject: str | Promise,
    body: str | Promise = "",
    url: str = "",
    email_now: bool = True,
) -> Notification:
    """Put a message in the recipient's inbox and email it (after commit; the dispatcher catches
    up any wake-up that is lost). With ``email_now`` off, the caller sends the emails of many
    notifications together (:func:`notifications_email`).

    A subject longer than the field holds (names as long as their fields allow make one) is
    cut with an ellipsis here, for every caller: on PostgreSQL an overlong value fails the
    INSERT, and with it the whole reminder pass or the click that sent it."""
    # Lazy texts (gettext_lazy, format_lazy) are written in the recipient's language here, so a
    # message HR's click or a worker sends reads in the language of whoever receives it.
    language = language_for(recipient, organization)
    notification = Notification.objects.create(
        organization=organization,
        recipient=recipient,
        subject=subject_fit(in_language(subject, language)),
        body=in_language(body, language),
        url=url,
    )
    if email_now:
        deliver_notification_email.delay_on_commit(
            organization_id=organization.pk, notification_id=notification.pk
        )
    return notification


def notifications_email(*, organization: Organization, notification_ids: list[int]) -> None:
    """Email these notifications from one task, after commit: a burst of thousands is then a
    few dozen tasks, not one task per email (each email is still claimed on its own)."""
    if notification_ids:
        deliver_notification_emails.delay_on_commit(
            organization_id=organization.pk, notification_ids=notification_ids
        )


def notify_hr_admins(
    *,
    organization: Organization,
    subject: str,
    body: str = "",
    url: str = "",
    except_memberships: Iterable[int] = (),
) -> int:
    """Tell every current HR admin of the organisation (but those in ``except_memberships``: a
    confidential request is never sent to the person it concerns). Returns how many."""
    admins = selectors.hr_admins().exclude(pk__in=list(except_memberships))
    count = 0
    for admin in admins:
        notification_send(
            organization=organization, recipient=admin.user, subject=subject, body=body, url=url
        )
        count += 1
    return count


def notification_mark_read(*, notification: Notification) -> None:
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])


def notifications_mark_all_read(*, user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def user_language_set(*, user: User, language: str) -> None:
    """The person's own language ("" for automatic: the browser's, then the organisation's)."""
    if language and language not in dict(settings.LANGUAGES):
        raise ValueError(f"Unsupported language: {language!r}")
    User.objects.filter(pk=user.pk).update(language=language)
    user.language = language


def user_browser_language_record(*, user: User, language: str | None) -> None:
    """Remember the browser's language at sign-in (one UPDATE, only when it changed)."""
    language = language or ""
    if getattr(user, "browser_language", "") != language:
        User.objects.filter(pk=user.pk).update(browser_language=language)
        user.browser_language = language
