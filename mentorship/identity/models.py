"""Rows of enterprise identity. All are tenant rows (organisation foreign key, scoped manager).

- ``ClaimedDomain``: an email domain an organisation speaks for (one organisation at most).
- ``SingleSignOn``: the organisation's identity provider (SAML 2.0 or OpenID Connect), its state
  (draft → tested → live), its policies (SSO-only, break-glass, just-in-time accounts, MFA) and
  how its attributes map to the profile matching reads. Secrets are stored encrypted
  (``mentorship.identity.secrets``).
- ``ConsumedAssertion``: each SAML assertion id accepted, until it expires: a replay is refused.
- ``DirectoryProfile``: what the directory says of a member (department, title, manager, level),
  written by SSO sign-ins and by SCIM, read when the member joins a program.
- ``ScimToken``, ``ScimUser``, ``ScimGroup``: SCIM 2.0 provisioning.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mentorship.models import Membership, Role, User
from mentorship.tenancy import TenantModel


class ClaimedDomain(TenantModel):
    """An email domain the organisation speaks for: its identity provider may vouch for these
    addresses, SSO-only applies to them, and home-realm discovery sends them to its provider."""

    domain = models.CharField(max_length=253, unique=True, help_text="Lower case, no '@'.")
    claimed_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["domain"]

    def __str__(self) -> str:
        return self.domain


class SingleSignOn(TenantModel):
    class Protocol(models.TextChoices):
        SAML = "saml", "SAML 2.0"
        OIDC = "oidc", "OpenID Connect"

    class Status(models.TextChoices):
        DRAFT = "draft", _("Saved, not tested")
        TESTED = "tested", _("Tested, not live")
        LIVE = "live", _("Live")

    class NewPeople(models.TextChoices):
        PARTICIPANT = "participant", _("Join as participants")
        INVITED_ONLY = "invited_only", _("Get nothing until invited")

    class MappingPreset(models.TextChoices):
        ENTRA = "entra", "Microsoft Entra ID"
        OKTA = "okta", "Okta"
        GOOGLE = "google", "Google Workspace"
        CUSTOM = "custom", _("Custom")

    # Stable for the configuration's life: it keys allauth's app (SAML URLs, OIDC callback) and
    # every SocialAccount made through it, so it never follows a later change of slug.
    provider_id = models.SlugField(max_length=60, unique=True)
    protocol = models.CharField(max_length=4, choices=Protocol.choices)
    status = models.CharField(max_length=6, choices=Status.choices, default=Status.DRAFT)

    # SAML 2.0: the identity provider, and our own (service provider) key pair.
    idp_entity_id = models.CharField(_("IdP entity ID"), max_length=500, blank=True)
    idp_sso_url = models.URLField(_("IdP single sign-on URL"), max_length=500, blank=True)
    idp_certificate = models.TextField(_("IdP signing certificate"), blank=True)
    sp_certificate = models.TextField(blank=True)
    sp_private_key_encrypted = models.TextField(blank=True)

    # OpenID Connect.
    issuer = models.URLField(max_length=500, blank=True)
    client_id = models.CharField(max_length=255, blank=True)
    client_secret_encrypted = models.TextField(blank=True)

    # Policies.
    sso_only = models.BooleanField(
        _("require single sign-on"),
        default=False,
        help_text=_("People with an address in a claimed domain cannot sign in with a password."),
    )
    break_glass = models.BooleanField(
        _("break-glass sign-in for HR admins"),
        default=True,
        help_text=_("HR admins may still sign in with password and second factor (audited)."),
    )
    new_people = models.CharField(
        max_length=12, choices=NewPeople.choices, default=NewPeople.PARTICIPANT
    )
    accept_idp_mfa = models.BooleanField(
        _("accept the identity provider's second factor"),
        default=False,
        help_text=_("A sign-in through the identity provider counts as two-factor."),
    )
    mapping_preset = models.CharField(
        max_length=6, choices=MappingPreset.choices, default=MappingPreset.CUSTOM
    )
    # Profile field (email, first_name, last_name, department, title, manager_email, level) →
    # the attribute or claim name the provider sends it under.
    attribute_mapping = models.JSONField(default=dict, blank=True)

    tested_at = models.DateTimeField(null=True, blank=True)
    tested_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # What the last test sign-in received, shown to the HR admin who ran it (no secrets).
    test_attributes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization"], name="one_sso_per_organization")
        ]

    def __str__(self) -> str:
        return f"{self.get_protocol_display()} for {self.organization_id}"

    @property
    def is_live(self) -> bool:
        return self.status == self.Status.LIVE


class ConsumedAssertion(TenantModel):
    """A SAML assertion id that signed someone in. The unique pair refuses a second use; rows
    are kept until the assertion's own ``NotOnOrAfter`` has passed (it is refused then anyway)."""

    assertion_id = models.CharField(max_length=255)
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "assertion_id"], name="assertion_used_once"
            )
        ]
        indexes = [models.Index(fields=["organization", "expires_at"])]

    def __str__(self) -> str:
        return self.assertion_id


class DirectoryProfile(TenantModel):
    """What the organisation's directory says of a member, as last received."""

    membership = models.OneToOneField(
        Membership, on_delete=models.CASCADE, related_name="directory_profile"
    )
    department = models.CharField(max_length=80, blank=True)
    title = models.CharField(max_length=120, blank=True)
    manager_email = models.EmailField(blank=True)
    level = models.PositiveSmallIntegerField(null=True, blank=True)
    employee_number = models.CharField(max_length=64, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Directory profile of {self.membership_id}"


class ScimToken(TenantModel):
    """A bearer token of the organisation's SCIM endpoint: shown once, stored as a SHA-256 hash
    (``mentorship.models.hash_token``), revocable."""

    name = models.CharField(max_length=80)
    prefix = models.CharField(max_length=12, help_text="The first characters, to recognise it.")
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class ScimUser(TenantModel):
    """A directory user provisioned over SCIM, mapped to one membership of the organisation."""

    scim_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    membership = models.OneToOneField(
        Membership, on_delete=models.CASCADE, related_name="scim_user"
    )
    external_id = models.CharField(max_length=255, blank=True)
    # userName as sent (compared case-insensitively through user_name_key).
    user_name = models.CharField(max_length=255)
    user_name_key = models.CharField(max_length=255)
    active = models.BooleanField(default=True)
    # The resource's other attributes as last received (name, emails, enterprise extension), so
    # a GET returns what the directory sent.
    resource = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "user_name_key"], name="scim_user_name_unique"
            ),
            models.UniqueConstraint(
                fields=["organization", "external_id"],
                condition=~Q(external_id=""),
                name="scim_external_id_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.user_name


class ScimGroup(TenantModel):
    """A directory group. Mapped in Settings to a role, its members hold that role."""

    scim_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    display_name = models.CharField(max_length=255)
    external_id = models.CharField(max_length=255, blank=True)
    role = models.CharField(max_length=20, choices=Role.choices, blank=True)
    members = models.ManyToManyField(ScimUser, blank=True, related_name="groups")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["display_name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "display_name"], name="scim_group_name_unique"
            )
        ]

    def __str__(self) -> str:
        return self.display_name
