"""Reads of the kernel. Tenant reads assume the organisation's scope is active (the request's or
the task's); the few that cross organisations say so in their name and docstring."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from mentorship.models import (
    ROLE_FIELDS,
    AuditEvent,
    Invitation,
    Membership,
    Notification,
    Role,
    SignIn,
    User,
    hash_token,
)
from mentorship.tenancy import across_all_organizations


def membership_for_request(*, user: User, org_slug: str) -> Membership | None:
    """The user's active membership in the organisation with this slug, or None.

    Crosses organisations on purpose (no scope is active yet); it is keyed on both the slug and
    the user, so it cannot return anyone else's membership. One query.
    """
    with across_all_organizations():
        return (
            Membership.objects.select_related("organization")
            .filter(organization__slug=org_slug, user=user, removed_at__isnull=True)
            .first()
        )


def memberships_of_user_across_organizations(*, user: User) -> list[Membership]:
    """The user's active memberships in every organisation, for the chooser and the switcher."""
    with across_all_organizations():
        return list(
            Membership.objects.select_related("organization")
            .filter(user=user, removed_at__isnull=True)
            .order_by("organization__name")
        )


def members_list(
    *, role: str = "", query: str = "", include_removed: bool = False
) -> QuerySet[Membership]:
    qs = Membership.objects.select_related("user").order_by("user__email")
    if not include_removed:
        qs = qs.filter(removed_at__isnull=True)
    if role in Role.values:
        qs = qs.filter(**{ROLE_FIELDS[Role(role)]: True})
    if query:
        qs = qs.filter(
            Q(user__email__icontains=query)
            | Q(user__first_name__icontains=query)
            | Q(user__last_name__icontains=query)
        )
    return qs


def membership_get(*, membership_id: int) -> Membership:
    """A membership of the current organisation; 404 for missing and other tenants alike."""
    try:
        return Membership.objects.select_related("user").get(
            pk=membership_id, removed_at__isnull=True
        )
    except Membership.DoesNotExist as exc:
        raise Http404("No such member") from exc


def hr_admins() -> QuerySet[Membership]:
    """The organisation's current HR admins, with their accounts: whom to tell about what needs
    a person in charge."""
    return Membership.objects.filter(is_hr_admin=True, removed_at__isnull=True).select_related(
        "user"
    )


def hr_admin_count_locked() -> int:
    """Active HR admins, their rows locked until the surrounding transaction ends."""
    qs = Membership.objects.filter(is_hr_admin=True, removed_at__isnull=True).select_for_update()
    return len(qs.values_list("pk", flat=True))


def invitations_list() -> QuerySet[Invitation]:
    return Invitation.objects.select_related("invited_by").order_by("-created_at")


def invitations_pending() -> QuerySet[Invitation]:
    """Invitations that can still be used: the condition every compare-and-set below repeats,
    so a parallel revoke, acceptance or expiry between read and write is never overridden."""
    return Invitation.objects.filter(
        accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
    )


def invitation_get(*, invitation_id: int) -> Invitation:
    try:
        return Invitation.objects.get(pk=invitation_id)
    except Invitation.DoesNotExist as exc:
        raise Http404("No such invitation") from exc


def invitation_get_by_token_across_organizations(*, token: str) -> Invitation | None:
    """Find an invitation from the secret in its link. The invitee is not a member yet, so no
    organisation scope can be active; the secret itself is the key."""
    with across_all_organizations():
        return (
            Invitation.objects.select_related("organization")
            .filter(token_hash=hash_token(token))
            .first()
        )


def notifications_for_user(*, user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user)


def notification_unread_count(*, user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def notification_get_for_user(*, user: User, notification_id: int) -> Notification:
    try:
        return Notification.objects.get(pk=notification_id, recipient=user)
    except Notification.DoesNotExist as exc:
        raise Http404("No such notification") from exc


def audit_events(*, action: str = "") -> QuerySet[AuditEvent]:
    qs = AuditEvent.objects.select_related("actor")
    if action in AuditEvent.Action.values:
        qs = qs.filter(action=action)
    return qs


def sign_ins_of_user(*, user: User) -> QuerySet[SignIn]:
    """The user's own sign-ins and failed attempts, newest first (not a tenant read)."""
    return SignIn.objects.filter(user=user)


def notifications_due_for_email_across_organizations(
    *, limit: int = 500, max_attempts: int = 5, grace_seconds: int = 30
) -> list[tuple[int, int]]:
    """(organization id, notification id) of notifications whose email is still owed.

    Skips the last ``grace_seconds`` (their own on-commit wake-up is on its way) and those that
    failed ``max_attempts`` times (they would otherwise hold the head of the queue forever).
    """
    cutoff = timezone.now() - timedelta(seconds=grace_seconds)
    with across_all_organizations():
        return list(
            Notification.objects.filter(
                emailed_at__isnull=True, email_attempts__lt=max_attempts, created_at__lte=cutoff
            )
            .order_by("created_at")
            .values_list("organization_id", "pk")[:limit]
        )


INVITATION_EMAIL_PAGE = 500


def invitations_due_for_email_across_organizations(
    *, after: tuple[datetime, int] | None = None
) -> list[tuple[int, int, datetime]]:
    """(organization id, invitation id, created at) of usable invitations whose email has not
    gone out, oldest first, ``INVITATION_EMAIL_PAGE`` at most; ``after`` (the created at and id
    of the last one of the previous page) reads the next page."""
    with across_all_organizations():
        owed = Invitation.objects.filter(
            emailed_at__isnull=True,
            accepted_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        if after is not None:
            created_at, pk = after
            owed = owed.filter(Q(created_at__gt=created_at) | Q(created_at=created_at, pk__gt=pk))
        return list(
            owed.order_by("created_at", "pk").values_list("organization_id", "pk", "created_at")[
                :INVITATION_EMAIL_PAGE
            ]
        )
