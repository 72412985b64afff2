"""Kernel models: users, organisations, memberships, invitations, notifications, audit events."""

from __future__ import annotations

import hashlib
from enum import property as enum_property
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from mentorship.i18n import in_language
from mentorship.tenancy import TenantModel


class UserManager(BaseUserManager["User"]):
    """Users are identified by email; there is no username."""

    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: object) -> User:
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractUser):
    username = None  # type: ignore[assignment]
    email = models.EmailField(_("email address"), unique=True)
    # Blank: automatic (the browser's language, then the organisation's default).
    language = models.CharField(
        _("language"),
        max_length=10,
        blank=True,
        default="",
        db_default="",
        choices=settings.LANGUAGES,
    )
    # What the browser asked for at the last sign-in: emails and notifications sent by workers
    # (no browser there) follow it when the person chose nothing (mentorship.i18n.language_for).
    browser_language = models.CharField(max_length=10, blank=True, default="", db_default="")

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()  # type: ignore[misc]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.email


class Organization(models.Model):
    """A tenant. Not scoped itself: it is what everything else is scoped to."""

    slug = models.SlugField(unique=True, max_length=50)
    name = models.CharField(max_length=120)
    anonymity_threshold = models.PositiveSmallIntegerField(
        default=5,
        validators=[MinValueValidator(3)],
        help_text=_("Figures from fewer respondents than this are withheld (never below 3)."),
    )
    default_language = models.CharField(
        _("default language"),
        max_length=10,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
        db_default=settings.LANGUAGE_CODE,
        help_text=_(
            "For people who have not chosen a language and whose browser asks for none "
            "that the product speaks; also the language of invitations."
        ),
    )
    mfa_required = models.BooleanField(
        default=True,
        help_text=_("HR admins and sponsors must use two-factor authentication."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(anonymity_threshold__gte=3), name="org_anonymity_k_at_least_3"
            )
        ]

    def __str__(self) -> str:
        return self.name


class _TranslatedChoicesType(type(models.TextChoices)):  # type: ignore[misc]
    """``choices`` keep their lazy labels (forms and fields built at import translate them on
    each use); see :class:`TranslatedTextChoices`."""

    @property
    def choices(cls) -> list[tuple[str, Any]]:
        return [(member.value, member._label_) for member in cls]


class TranslatedTextChoices(models.TextChoices, metaclass=_TranslatedChoicesType):
    """Text choices whose ``label`` is a plain ``str`` in the active language (so it can be
    searched, joined and compared like any text), while ``choices`` stay lazy."""

    @enum_property
    def label(self) -> str:
        return str(self._label_)

    @enum_property
    def english_label(self) -> str:
        """The label as records store it (audit summaries): in English, whoever reads."""
        return in_language(self._label_, settings.LANGUAGE_CODE)


class Role(TranslatedTextChoices):
    HR_ADMIN = "hr_admin", _("HR admin")
    SPONSOR = "sponsor", _("Executive sponsor")
    PARTICIPANT = "participant", _("Participant")


ROLE_FIELDS: dict[Role, str] = {
    Role.HR_ADMIN: "is_hr_admin",
    Role.SPONSOR: "is_sponsor",
    Role.PARTICIPANT: "is_participant",
}


class Membership(TenantModel):
    """A user in an organisation, with one or more roles.

    One row per user and organisation (roles are flags) so that a request has exactly one
    membership. Removal is a timestamp, not a delete: the member's history stays attached.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    is_hr_admin = models.BooleanField(_("HR admin"), default=False)
    is_sponsor = models.BooleanField(_("Executive sponsor"), default=False)
    is_participant = models.BooleanField(_("Participant"), default=False)
    # Opt-out, not opt-in: sponsorship comes with the weekly digest unless the sponsor declines
    # it (mentorship.frame.digest). Meaningless without the sponsor role, and kept when the
    # role comes and goes so a returning sponsor keeps their choice.
    sponsor_digest = models.BooleanField(_("weekly sponsor digest"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Bumped on every save (and set by the database for rows inserted without it: seeds,
    # old migrations). The API's ?updated_since= reads it (services that write with
    # .update() set it themselves).
    updated_at = models.DateTimeField(auto_now=True, db_default=Now(), db_index=True)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="membership_unique_user")
        ]
        indexes = [models.Index(fields=["user", "removed_at"])]

    def __str__(self) -> str:
        return f"{self.user} in {self.organization_id}"

    def has_role(self, role: Role) -> bool:
        return bool(getattr(self, ROLE_FIELDS[Role(role)]))

    @property
    def roles(self) -> list[Role]:
        return [role for role in Role if self.has_role(role)]

    @property
    def is_active(self) -> bool:
        return self.removed_at is None


def hash_token(token: str) -> str:
    """Invitation tokens are stored hashed, so a database leak cannot be replayed as links."""
    return hashlib.sha256(token.encode()).hexdigest()


class Invitation(TenantModel):
    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("invitation status", "Pending")
        ACCEPTED = "accepted", pgettext_lazy("invitation status", "Accepted")
        REVOKED = "revoked", pgettext_lazy("invitation status", "Revoked")
        EXPIRED = "expired", pgettext_lazy("invitation status", "Expired")

    email = models.EmailField()
    role = models.CharField(max_length=20, choices=Role.choices)
    # Set when the email is sent: the secret is minted then, so it never travels through the
    # broker, and only its hash is stored. Empty until then.
    token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    invited_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # The email dispatcher reads the invitations whose email is still owed, only those.
            models.Index(
                fields=["created_at"],
                name="invitation_email_owed_idx",
                condition=models.Q(
                    emailed_at__isnull=True, accepted_at__isnull=True, revoked_at__isnull=True
                ),
            )
        ]

    def __str__(self) -> str:
        return f"Invitation of {self.email} as {self.get_role_display()}"

    @property
    def status(self) -> Invitation.Status:
        if self.accepted_at:
            return self.Status.ACCEPTED
        if self.revoked_at:
            return self.Status.REVOKED
        if self.expires_at <= timezone.now():
            return self.Status.EXPIRED
        return self.Status.PENDING


class Notification(TenantModel):
    """An in-app message; the same message is emailed (``emailed_at`` is the send claim)."""

    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    subject = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "recipient", "read_at"]),
            models.Index(fields=["emailed_at", "created_at"]),
        ]

    def __str__(self) -> str:
        return self.subject


class AuditEvent(TenantModel):
    class Action(models.TextChoices):
        INVITATION_SENT = "invitation_sent", _("Invitation sent")
        INVITATION_REVOKED = "invitation_revoked", _("Invitation revoked")
        INVITATION_ACCEPTED = "invitation_accepted", _("Invitation accepted")
        ROLES_CHANGED = "roles_changed", _("Roles changed")
        MEMBER_REMOVED = "member_removed", _("Member removed")
        LOGIN_SUCCEEDED = "login_succeeded", _("Sign-in succeeded")
        LOGIN_FAILED = "login_failed", _("Sign-in failed")
        PROGRAM_STATUS = "program_status", _("Program status changed")
        PARTICIPANT_REMOVED = "participant_removed", _("Participant removed")
        TOPICS_MERGED = "topics_merged", _("Topics merged")
        PARTICIPANTS_IMPORTED = "participants_imported", _("Participants imported")
        PAIRINGS_PUBLISHED = "pairings_published", _("Pairings published")
        PAIRING_DISSOLVED = "pairing_dissolved", _("Pairing dissolved")
        SETTINGS_CHANGED = "settings_changed", _("Settings changed")
        PERSONAL_DATA_EXPORTED = "personal_data_exported", _("Personal data exported")
        PERSONAL_DATA_ERASED = "personal_data_erased", _("Personal data erased")
        # Moving people between departments before a survey is how a targeted subtraction
        # would be set up: every change is on the record.
        DEPARTMENT_CHANGED = "department_changed", _("Department changed")
        # Once per session and organisation (mentorship.tenancy). The sign-in itself is the
        # person's own record (SignIn): an organisation never learns of sign-ins to work elsewhere.
        ORGANIZATION_ENTERED = "organization_entered", _("Entered the organisation")
        # Enterprise identity (mentorship.identity).
        SSO_CHANGED = "sso_changed", _("Single sign-on changed")
        SSO_TESTED = "sso_tested", _("Single sign-on tested")
        SSO_REFUSED = "sso_refused", _("Single sign-on refused")
        BREAK_GLASS_SIGN_IN = "break_glass_sign_in", _("Break-glass sign-in")
        DOMAIN_CLAIMED = "domain_claimed", _("Domain claimed")
        DOMAIN_RELEASED = "domain_released", _("Domain released")
        SCIM_TOKEN_CREATED = "scim_token_created", _("Provisioning token created")
        SCIM_TOKEN_REVOKED = "scim_token_revoked", _("Provisioning token revoked")
        MEMBER_PROVISIONED = "member_provisioned", _("Member provisioned")
        MEMBER_DEPROVISIONED = "member_deprovisioned", _("Member deprovisioned")
        GROUP_ROLE_CHANGED = "group_role_changed", _("Role changed by a directory group")
        # The API and webhooks (mentorship.api, mentorship.events).
        API_KEY_CREATED = "api_key_created", _("API key created")
        API_KEY_REVOKED = "api_key_revoked", _("API key revoked")
        WEBHOOK_CREATED = "webhook_created", _("Webhook endpoint created")
        WEBHOOK_CHANGED = "webhook_changed", _("Webhook endpoint changed")
        WEBHOOK_DELETED = "webhook_deleted", _("Webhook endpoint deleted")
        WEBHOOK_SECRET_ROTATED = "webhook_secret_rotated", _("Webhook signing secret rotated")
        WEBHOOK_DISABLED = "webhook_disabled", _("Webhook endpoint disabled after failures")

    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=40, choices=Action.choices)
    summary = models.CharField(max_length=300)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "-created_at"])]

    def __str__(self) -> str:
        return self.summary


class SignIn(models.Model):
    """A sign-in to an account, or a failed attempt on it: the person's own record.

    Not a tenant row: a person who belongs to several organisations signs in once, and no
    organisation may learn when or from where they signed in to work for another. They see
    these on their own "Sign-ins" page; an organisation's audit log records only that they
    entered it (``AuditEvent.Action.ORGANIZATION_ENTERED``).
    """

    class Method(models.TextChoices):
        PASSWORD = "password", _("Password")
        PASSWORD_AND_SECOND_FACTOR = "password_mfa", _("Password and second factor")
        PASSKEY = "passkey", _("Passkey")
        EMAIL_LINK = "email_link", _("Link sent by email")
        OTHER = "other", pgettext_lazy("sign-in method", "Other")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sign_ins")
    at = models.DateTimeField(default=timezone.now)
    succeeded = models.BooleanField(default=True)
    method = models.CharField(max_length=20, choices=Method.choices)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["user", "-at"])]

    def __str__(self) -> str:
        outcome = "Sign-in" if self.succeeded else "Failed sign-in"
        return f"{outcome} of {self.user_id} at {self.at:%Y-%m-%d %H:%M}"


class DigestDelivery(TenantModel):
    """The claim of one sponsor's weekly digest: one row per membership and ISO week.

    The unique pair is the idempotency key (see ``mentorship.frame.digest``): the row is
    created or found, then claimed by setting ``sent_at`` with a compare-and-set that must update
    exactly one row, in the transaction that creates the digest's notification. A rerun, a
    concurrent dispatcher or a retry finds ``sent_at`` set and sends nothing. ``sent_at`` is
    empty only on a row whose send has not happened (an operator can clear it to resend).
    """

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    week = models.DateField(help_text="The Monday of the ISO week the digest is for.")
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["membership", "week"], name="digest_delivery_unique")
        ]

    def __str__(self) -> str:
        return f"Digest of the week of {self.week} for {self.membership_id}"
