"""Writes of the identity settings: an organisation's single sign-on and its claimed domains.

Every write is audited, and no audit summary carries a secret (client secret, private key).

The configuration's state: any change of the connection (protocol, IdP, issuer, client, secret)
puts it back to *draft*, so single sign-on stops until an HR admin tests the new connection
(``sso_test``, which marks it *tested*) and turns it on (*live*). Policies and the attribute
mapping change without a new test: they do not decide whom the provider vouches for.

``provider_id`` is chosen once, at creation, and never changes (not on a new slug, not on a
switch of protocol): allauth's SocialAccount rows and the URLs pasted into the IdP name it.
After a switch of protocol, people are matched again by their (claimed-domain) email address.

A refused write raises ``ValidationError``; where it is about one input, keyed by the settings
form's field name (``{"issuer": ...}``), so the page shows it beside that field.
"""

from __future__ import annotations

import secrets
from typing import Any

from allauth.socialaccount.models import SocialAccount
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_domain_name
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from mentorship.identity import saml_metadata
from mentorship.identity.mapping import PROFILE_FIELDS
from mentorship.identity.models import ClaimedDomain, SingleSignOn
from mentorship.identity.oidc_discovery import discover
from mentorship.identity.secrets import decrypt, encrypt
from mentorship.identity.settings_selectors import (
    domain_has_people_elsewhere,
    is_public_mail_domain,
    verified_domains,
)
from mentorship.models import AuditEvent, Organization, User
from mentorship.services import audit_record
from mentorship.tenancy import across_all_organizations

Protocol = SingleSignOn.Protocol
Status = SingleSignOn.Status

# allauth's own provider keys: an OpenID Connect provider_id equal to one of them would be
# taken for that provider (see sso.adapter.sso_for_app), and "oidc" is our callback prefix.
RESERVED_PROVIDER_IDS = frozenset({"saml", "openid_connect", "oidc"})
# --- Single sign-on ----------------------------------------------------------------------------


def provider_id_for(organization: Organization) -> str:
    """The configuration's provider id, or the one a first save will give it: shown before
    saving, since the IdP admin registers our URLs before handing over a client id or metadata.

    The organisation's slug, else the slug and its id (when an organisation whose old slug this
    was holds it, or it is one of allauth's names): stable, so the URL shown is the one saved.
    Provider ids are unique across organisations, so this reads across them, ids only."""
    sso = SingleSignOn.objects.filter(organization=organization).first()
    if sso is not None:
        return sso.provider_id
    base = organization.slug[:40]
    candidates = [base, f"{base}-{organization.pk}", f"{base}-{secrets.token_hex(4)}"]
    with across_all_organizations():
        taken = set(
            SingleSignOn.objects.filter(provider_id__in=candidates).values_list(
                "provider_id", flat=True
            )
        )
    return next(c for c in candidates if c not in taken and c not in RESERVED_PROVIDER_IDS)


def _sso_for_update(organization: Organization) -> SingleSignOn:
    """The configuration, locked for this transaction, or a new unsaved one."""
    sso = SingleSignOn.objects.select_for_update().filter(organization=organization).first()
    if sso is None:
        sso = SingleSignOn(organization=organization, provider_id=provider_id_for(organization))
    return sso


def _save_connection(
    *, sso: SingleSignOn, protocol: str, values: dict[str, str], actor: User, summary: str
) -> SingleSignOn:
    """Apply the connection ``values``; a change sends the configuration back to draft.

    A new identity (protocol, OIDC issuer, SAML IdP entity ID) also unlinks every account linked
    through the old one: a link is keyed by ``provider_id`` and the provider's subject, and the
    provider id stays, so the new provider's "kim" would otherwise open the old one's "kim"
    (whoever that was, in whatever domain). People link again at their next sign-in, matched by
    their claimed-domain address. Callers hold the transaction, so both happen or neither."""
    changed = sso.pk is None or sso.protocol != protocol
    existed = sso.pk is not None
    # A first save counts too: links left by a deleted configuration with this provider id
    # were never this provider's.
    new_identity = not existed or (
        sso.protocol != protocol
        or any(
            getattr(sso, name) != values[name]
            for name in ("issuer", "idp_entity_id")
            if name in values
        )
    )
    for name, value in values.items():
        changed |= getattr(sso, name) != value
        setattr(sso, name, value)
    if sso.protocol != protocol:
        # The other protocol's settings go: a stale client secret is one secret too many.
        others = {
            Protocol.SAML: ("idp_entity_id", "idp_sso_url", "idp_certificate"),
            Protocol.OIDC: ("issuer", "client_id", "client_secret_encrypted"),
        }.get(sso.protocol, ())
        for name in others:
            setattr(sso, name, "")
    sso.protocol = protocol
    if not changed:
        return sso
    was = sso.status if sso.pk else None
    sso.status = Status.DRAFT
    sso.tested_at = None
    sso.tested_by = None
    sso.test_attributes = {}
    sso.updated_at = timezone.now()
    try:
        with transaction.atomic():
            sso.save()
    except IntegrityError as exc:
        raise ValidationError(
            _("Someone else saved single sign-on at the same moment. Reload the page and check.")
        ) from exc
    stopped = was in (Status.TESTED, Status.LIVE)
    note = " Single sign-on is off until the connection is tested again." if stopped else ""
    if new_identity:
        deleted = SocialAccount.objects.filter(provider=sso.provider_id).delete()[1]
        # delete() counts the cascaded tokens too; the summary counts accounts only.
        count = deleted.get(SocialAccount._meta.label, 0)
        if existed or count:
            note += f" {count} linked account{'' if count == 1 else 's'} unlinked."
    audit_record(
        organization=sso.organization,
        action=AuditEvent.Action.SSO_CHANGED,
        summary=f"Single sign-on: {summary}.{note}",
        actor=actor,
    )
    return sso


def _https_url_clean(url: str) -> str:
    """The IdP's single sign-on URL, refused unless it is a full https:// URL."""
    url = url.strip()
    schemes = ["https", "http"] if settings.SSO_ALLOW_INSECURE else ["https"]
    try:
        URLValidator(schemes=schemes)(url)
    except ValidationError as exc:
        raise ValidationError(_("The single sign-on URL must be a full https:// URL.")) from exc
    return url


def _english(text: object) -> str:
    """A label in the source language, for audit summaries (stored records, never translated)."""
    with translation.override(None):
        return str(text)


def sso_save_saml(
    *,
    organization: Organization,
    actor: User,
    entity_id: str,
    sso_url: str,
    certificate: str,
) -> SingleSignOn:
    """Save a SAML 2.0 identity provider (entity ID, single sign-on URL, signing certificate).
    The first SAML save also makes our service-provider key pair; it is kept afterwards."""
    entity_id = entity_id.strip()
    if not entity_id:
        raise ValidationError({"entity_id": _("The IdP entity ID is required.")})
    try:
        url = _https_url_clean(sso_url)
    except ValidationError as exc:
        raise ValidationError({"sso_url": exc.messages}) from exc
    try:
        certificate = saml_metadata.signing_certificate_clean(certificate)
    except ValidationError as exc:
        raise ValidationError({"certificate": exc.messages}) from exc
    # The columns' limit, for callers that bypass the form's max_length (pasted metadata).
    for field, value in (("entity_id", entity_id), ("sso_url", url)):
        if len(value) > saml_metadata.MAX_VALUE_LENGTH:
            raise ValidationError(
                {
                    field: _("At most %(limit)s characters are accepted.")
                    % {"limit": saml_metadata.MAX_VALUE_LENGTH}
                }
            )
    values = {"idp_entity_id": entity_id, "idp_sso_url": url, "idp_certificate": certificate}
    with transaction.atomic():
        sso = _sso_for_update(organization)
        if not sso.sp_certificate:
            certificate_pem, key_pem = saml_metadata.sp_key_pair(
                common_name=f"{organization.name} ({sso.provider_id})"
            )
            sso.sp_certificate = certificate_pem
            sso.sp_private_key_encrypted = encrypt(key_pem)
        return _save_connection(
            sso=sso,
            protocol=Protocol.SAML,
            values=values,
            actor=actor,
            summary=f"SAML 2.0 connection saved (IdP {entity_id})",
        )


def sso_save_saml_metadata(*, organization: Organization, actor: User, xml: str) -> SingleSignOn:
    """Save a SAML 2.0 identity provider from its pasted metadata XML."""
    try:
        idp = saml_metadata.metadata_parse(xml)
    except ValidationError as exc:
        raise ValidationError({"metadata": exc.messages}) from exc
    return sso_save_saml(
        organization=organization,
        actor=actor,
        entity_id=idp.entity_id,
        sso_url=idp.sso_url,
        certificate=idp.certificate,
    )


def sso_save_oidc(
    *,
    organization: Organization,
    actor: User,
    issuer: str,
    client_id: str,
    client_secret: str = "",
) -> SingleSignOn:
    """Save an OpenID Connect provider, after fetching and checking its discovery document.
    An empty ``client_secret`` keeps the saved one (the page never shows it again)."""
    issuer = issuer.strip().rstrip("/")
    client_id = client_id.strip()
    if not client_id:
        raise ValidationError({"client_id": _("The client ID is required.")})
    try:
        discover(issuer)
    except ValidationError as exc:
        raise ValidationError({"issuer": exc.messages}) from exc
    with transaction.atomic():
        sso = _sso_for_update(organization)
        keep = sso.protocol == Protocol.OIDC and sso.client_secret_encrypted
        if not client_secret and not keep:
            raise ValidationError({"client_secret": _("The client secret is required.")})
        secret_changed = bool(client_secret) and (
            not keep or decrypt(sso.client_secret_encrypted) != client_secret
        )
        values = {"issuer": issuer, "client_id": client_id}
        if secret_changed:
            values["client_secret_encrypted"] = encrypt(client_secret)
        what = "OpenID Connect connection saved"
        return _save_connection(
            sso=sso,
            protocol=Protocol.OIDC,
            values=values,
            actor=actor,
            summary=f"{what} (issuer {issuer}, client ID {client_id}"
            + (", new client secret)" if secret_changed else ")"),
        )


def _yes(value: bool) -> str:
    return "on" if value else "off"


def sso_policies_update(
    *,
    sso: SingleSignOn,
    actor: User,
    sso_only: bool,
    break_glass: bool,
    new_people: str,
    accept_idp_mfa: bool,
) -> SingleSignOn:
    if new_people not in SingleSignOn.NewPeople.values:
        raise ValidationError(_("Choose what happens to new people."))
    changes = []
    if sso.sso_only != sso_only:
        changes.append(f"require single sign-on {_yes(sso_only)}")
    if sso.break_glass != break_glass:
        changes.append(f"break-glass sign-in for HR admins {_yes(break_glass)}")
    if sso.new_people != new_people:
        label = _english(SingleSignOn.NewPeople(new_people).label)
        changes.append(f"new people: {label.lower()}")
    if sso.accept_idp_mfa != accept_idp_mfa:
        changes.append(f"accept the identity provider's second factor {_yes(accept_idp_mfa)}")
    if not changes:
        return sso
    with transaction.atomic():
        sso.sso_only = sso_only
        sso.break_glass = break_glass
        sso.new_people = new_people
        sso.accept_idp_mfa = accept_idp_mfa
        sso.updated_at = timezone.now()
        sso.save(
            update_fields=["sso_only", "break_glass", "new_people", "accept_idp_mfa", "updated_at"]
        )
        audit_record(
            organization=sso.organization,
            action=AuditEvent.Action.SSO_CHANGED,
            summary="Single sign-on policy: " + "; ".join(changes),
            actor=actor,
        )
    return sso


def sso_mapping_update(
    *, sso: SingleSignOn, actor: User, preset: str, mapping: dict[str, Any]
) -> SingleSignOn:
    """Which attribute (SAML) or claim (OIDC) carries each profile field; blank ones are unset."""
    if preset not in SingleSignOn.MappingPreset.values:
        raise ValidationError(_("Choose a preset."))
    unknown = set(mapping) - set(PROFILE_FIELDS)
    if unknown:
        raise ValidationError(
            _("Unknown profile fields: %(fields)s.") % {"fields": ", ".join(sorted(unknown))}
        )
    cleaned = {k: str(v).strip() for k, v in mapping.items() if v and str(v).strip()}
    if cleaned == sso.attribute_mapping and preset == sso.mapping_preset:
        return sso
    with transaction.atomic():
        sso.mapping_preset = preset
        sso.attribute_mapping = cleaned
        sso.updated_at = timezone.now()
        sso.save(update_fields=["mapping_preset", "attribute_mapping", "updated_at"])
        audit_record(
            organization=sso.organization,
            action=AuditEvent.Action.SSO_CHANGED,
            summary="Single sign-on attribute mapping: "
            + (", ".join(f"{k} ← {v}" for k, v in cleaned.items()) or "cleared")
            + f" (preset {_english(SingleSignOn.MappingPreset(preset).label)})",
            actor=actor,
        )
    return sso


def sso_go_live(*, sso: SingleSignOn, actor: User) -> SingleSignOn:
    """Turn single sign-on on for everyone: only a configuration whose connection was tested."""
    if sso.status != Status.TESTED:
        raise ValidationError(
            _(
                "Test the connection first: single sign-on goes live only once a test sign-in "
                "through your identity provider has worked."
            )
        )
    with transaction.atomic():
        sso.status = Status.LIVE
        sso.updated_at = timezone.now()
        sso.save(update_fields=["status", "updated_at"])
        audit_record(
            organization=sso.organization,
            action=AuditEvent.Action.SSO_CHANGED,
            summary=f"Single sign-on is live ({sso.get_protocol_display()})",
            actor=actor,
        )
    return sso


def sso_turn_off(*, sso: SingleSignOn, actor: User) -> SingleSignOn:
    """Back to draft: nobody signs in through the provider (and SSO-only stops applying) until
    the connection is tested and turned on again. The configuration is kept."""
    if sso.status == Status.DRAFT:
        return sso
    with transaction.atomic():
        sso.status = Status.DRAFT
        sso.tested_at = None
        sso.tested_by = None
        sso.updated_at = timezone.now()
        sso.save(update_fields=["status", "tested_at", "tested_by", "updated_at"])
        audit_record(
            organization=sso.organization,
            action=AuditEvent.Action.SSO_CHANGED,
            summary="Single sign-on turned off (back to draft)",
            actor=actor,
        )
    return sso


# --- Claimed domains ---------------------------------------------------------------------------


def domain_normalize(domain: str) -> str:
    """Lower case, no "@" or trailing dot, international names in their ASCII (IDNA) form: the
    form sign-in compares addresses' domains in."""
    domain = domain.strip().lstrip("@").rstrip(".")
    try:
        domain = domain.encode("idna").decode().lower()
    except UnicodeError as exc:
        raise ValidationError(_("This is not a domain name.")) from exc
    try:
        validate_domain_name(domain)
    except ValidationError as exc:
        raise ValidationError(_("This is not a domain name, such as example.com.")) from exc
    if "." not in domain:
        raise ValidationError(_("This is not a domain name, such as example.com."))
    return domain


def domain_claim(*, organization: Organization, domain: str, actor: User | None) -> ClaimedDomain:
    """Claim ``domain`` for the organisation: from then on its identity provider speaks for every
    address there. An HR admin (``actor``) may claim only the domain of one of their own
    verified addresses, and only while no active member of another organisation has an address
    there: a verified address proves one mailbox, not the domain, and typing any domain would
    let one tenant take another's people. Operators (``actor=None``, the ``create_organization``
    command) vouch for a domain themselves. A public mail provider (by brand: hotmail.co.uk as
    well as hotmail.com) is never claimed, and a domain belongs to one organisation at most
    (the unique column decides, so two claims at once cannot both win)."""
    domain = domain_normalize(domain)
    if is_public_mail_domain(domain):
        raise ValidationError(
            _(
                "%(domain)s is a public mail provider: anyone can have an address there, so no "
                "organisation can claim it."
            )
            % {"domain": domain}
        )
    if actor is not None and domain not in verified_domains(user=actor):
        raise ValidationError(
            _(
                "You can claim only the domain of one of your own verified email addresses, "
                "and %(domain)s is not one of them. Add and verify an address at %(domain)s "
                "under Account → Email addresses first, or ask the operators."
            )
            % {"domain": domain}
        )
    if ClaimedDomain.objects.filter(organization=organization, domain=domain).exists():
        raise ValidationError(
            _("%(domain)s is already claimed by this organisation.") % {"domain": domain}
        )
    if actor is not None and domain_has_people_elsewhere(domain=domain, organization=organization):
        # Never who, nor which organisation: the operators check who really owns the domain.
        raise ValidationError(
            _(
                "Only a platform operator can claim %(domain)s: people with addresses there "
                "already use this site through another organisation. Ask the operators of this "
                "site."
            )
            % {"domain": domain}
        )
    try:
        with transaction.atomic():
            claim = ClaimedDomain.objects.create(
                organization=organization, domain=domain, claimed_by=actor
            )
            audit_record(
                organization=organization,
                action=AuditEvent.Action.DOMAIN_CLAIMED,
                summary=f"Domain {domain} claimed",
                actor=actor,
            )
    except IntegrityError as exc:
        # Never which one: that would tell an HR admin who else uses this platform.
        raise ValidationError(
            _(
                "%(domain)s is already claimed by another organisation. If it is yours, ask the "
                "operators of this site."
            )
            % {"domain": domain}
        ) from exc
    return claim


def domain_release(*, domain: ClaimedDomain, actor: User) -> None:
    """Give a domain up: SSO-only and home-realm discovery stop applying to its addresses."""
    with transaction.atomic():
        organization = domain.organization
        name = domain.domain
        domain.delete()
        audit_record(
            organization=organization,
            action=AuditEvent.Action.DOMAIN_RELEASED,
            summary=f"Domain {name} released",
            actor=actor,
        )
