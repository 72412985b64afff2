"""The identity settings refuse what would let one organisation speak for another's people:
public mail domains, domains of other organisations' members, links of an old provider, and
changes confirmed by nothing (an account made by single sign-on)."""

from __future__ import annotations

import time

import pytest
from allauth.account.internal.flows.login import (
    _AUTHENTICATION_METHODS_USER_SESSION_KEY,
    AUTHENTICATION_METHODS_SESSION_KEY,
)
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.core.exceptions import ValidationError

from mentorship.identity import oidc_discovery, services
from mentorship.identity.models import ClaimedDomain, ScimToken, SingleSignOn
from mentorship.identity.settings_selectors import is_public_mail_domain
from mentorship.models import AuditEvent
from tests.conftest import Tenant
from tests.factories import MembershipFactory, UserFactory
from tests.identity.settings_support import reauthenticated
from tests.identity.sso_support import oidc_sso, saml_sso

DOMAINS = "/o/alpha/settings/domains/"
PROVISIONING = "/o/alpha/settings/provisioning/"


# --- Claimed domains ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("domain", "public"),
    [
        ("mail.yahoo.com", True),
        ("hotmail.co.uk", True),
        ("bigpond.com.au", True),
        ("t-online.de", True),
        ("pm.me", True),
        ("acme.co.uk", False),
        ("hotmail-fans.example", False),
        ("bücher.example".encode("idna").decode(), False),
    ],
)
def test_public_mail_is_recognised_by_brand_under_any_country_domain(
    domain: str, public: bool
) -> None:
    assert is_public_mail_domain(domain) is public


def test_a_domain_whose_people_belong_to_another_organisation_needs_the_operators(
    alpha: Tenant, beta: Tenant, client_for
) -> None:
    MembershipFactory(organization=beta.organization, user=UserFactory(email="kim@Shared.Example"))
    EmailAddress.objects.create(user=alpha.hr, email="boss@shared.example", verified=True)
    page = reauthenticated(client_for(alpha.hr)).post(DOMAINS, {"domain": "shared.example"})
    text = page.content.decode()
    assert "Only a platform operator can claim shared.example" in text
    assert "beta" not in text.lower() and "kim@" not in text  # never who, nor where
    with alpha.scope():
        assert not ClaimedDomain.objects.exists()
    with alpha.scope():  # the operators vouch for it themselves
        services.domain_claim(organization=alpha.organization, domain="shared.example", actor=None)
        assert ClaimedDomain.objects.filter(domain="shared.example").exists()


def test_people_who_left_another_organisation_do_not_block_a_claim(
    alpha: Tenant, beta: Tenant, client_for
) -> None:
    from django.utils import timezone

    MembershipFactory(
        organization=beta.organization,
        user=UserFactory(email="gone@shared.example"),
        removed_at=timezone.now(),
    )
    EmailAddress.objects.create(user=alpha.hr, email="boss@shared.example", verified=True)
    reauthenticated(client_for(alpha.hr)).post(DOMAINS, {"domain": "shared.example"})
    with alpha.scope():
        assert ClaimedDomain.objects.filter(domain="shared.example").exists()


def test_an_international_domain_is_claimed_in_its_ascii_form(alpha: Tenant, client_for) -> None:
    EmailAddress.objects.create(user=alpha.hr, email="boss@bücher.example", verified=True)
    reauthenticated(client_for(alpha.hr)).post(DOMAINS, {"domain": "Bücher.example"})
    with alpha.scope():
        assert list(ClaimedDomain.objects.values_list("domain", flat=True)) == [
            "xn--bcher-kva.example"
        ]


# --- A new identity provider unlinks the old one's accounts ------------------------------------


def test_a_new_issuer_unlinks_the_accounts_linked_through_the_old_one(
    alpha: Tenant, beta: Tenant, monkeypatch
) -> None:
    monkeypatch.setattr(services, "discover", lambda issuer: {})
    with alpha.scope():
        sso = oidc_sso(alpha.organization, "https://old-idp.example.com")
    SocialAccount.objects.create(user=beta.hr, provider=sso.provider_id, uid="kim")
    SocialAccount.objects.create(user=beta.hr, provider="someone-else", uid="kim")
    with alpha.scope():
        # The same issuer with a new client keeps the links: same provider, same subjects.
        services.sso_save_oidc(
            organization=alpha.organization,
            actor=alpha.hr,
            issuer="https://old-idp.example.com",
            client_id="another-client",
        )
        assert SocialAccount.objects.filter(provider=sso.provider_id).count() == 1
        services.sso_save_oidc(
            organization=alpha.organization,
            actor=alpha.hr,
            issuer="https://new-idp.example.com",
            client_id="another-client",
        )
        summary = AuditEvent.objects.filter(action=AuditEvent.Action.SSO_CHANGED).latest("pk")
    assert not SocialAccount.objects.filter(provider=sso.provider_id).exists()
    assert SocialAccount.objects.filter(provider="someone-else").exists()
    assert "1 linked account unlinked" in summary.summary


def test_a_switch_of_protocol_unlinks_the_accounts(alpha: Tenant, monkeypatch) -> None:
    monkeypatch.setattr(services, "discover", lambda issuer: {})
    with alpha.scope():
        sso = saml_sso(alpha.organization)
    SocialAccount.objects.create(user=alpha.hr, provider=sso.provider_id, uid="kim")
    with alpha.scope():
        services.sso_save_oidc(
            organization=alpha.organization,
            actor=alpha.hr,
            issuer="https://idp.example.com",
            client_id="c",
            client_secret="s",
        )
    assert not SocialAccount.objects.filter(provider=sso.provider_id).exists()


# --- Re-authentication of an account made by single sign-on ------------------------------------


def sso_only(tenant: Tenant, client_for, *, signed_in_ago: float, provider: str):
    hr = tenant.hr
    hr.set_unusable_password()
    hr.save()
    client = client_for(hr)
    session = client.session
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "socialaccount", "at": time.time() - signed_in_ago, "provider": provider}
    ]
    session[_AUTHENTICATION_METHODS_USER_SESSION_KEY] = session["_auth_user_id"]
    session.save()
    return client


def test_a_recent_sign_in_through_single_sign_on_counts_as_confirmation(
    alpha: Tenant, client_for
) -> None:
    with alpha.scope():
        sso = saml_sso(alpha.organization)
    client = sso_only(alpha, client_for, signed_in_ago=60, provider=sso.provider_id)
    client.post(PROVISIONING, {"name": "fresh"})
    with alpha.scope():
        assert ScimToken.objects.filter(name="fresh").exists()


def test_an_old_sso_sign_in_is_sent_to_the_identity_provider_again(
    alpha: Tenant, client_for
) -> None:
    with alpha.scope():
        sso = saml_sso(alpha.organization)
    client = sso_only(alpha, client_for, signed_in_ago=3600, provider=sso.provider_id)
    response = client.post(PROVISIONING, {"name": "stale"})
    assert response["Location"] == "/o/alpha/sso/?next=%2Fo%2Falpha%2Fsettings%2Fprovisioning%2F"
    with alpha.scope():
        assert not ScimToken.objects.exists()


def test_without_live_single_sign_on_an_account_without_password_cannot_make_changes(
    alpha: Tenant, client_for
) -> None:
    with alpha.scope():
        sso = saml_sso(alpha.organization, status=SingleSignOn.Status.DRAFT)
    client = sso_only(alpha, client_for, signed_in_ago=10, provider=sso.provider_id)
    response = client.post(PROVISIONING, {"name": "no-way"}, follow=True)
    assert "Set a password" in response.content.decode()
    with alpha.scope():
        assert not ScimToken.objects.exists()


# --- Fetches at save ---------------------------------------------------------------------------


def test_an_address_literal_is_judged_as_written_not_resolved(settings, monkeypatch) -> None:
    settings.SSO_ALLOW_INSECURE = False
    monkeypatch.setattr(
        oidc_discovery.socket, "getaddrinfo", lambda host, port: [(0, 0, 0, "", ("8.8.8.8", 0))]
    )
    with pytest.raises(ValidationError):
        oidc_discovery.check_url("https://169.254.169.254/x", what="token endpoint")
    oidc_discovery.check_url("https://idp.example.com/x", what="token endpoint")
