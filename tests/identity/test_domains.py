"""Claimed domains: an organisation speaks for an email domain only when one of its HR admins
proves an address there (or the operators vouch for it), and a domain belongs to one
organisation at most."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from mentorship.identity import services
from mentorship.identity.models import ClaimedDomain
from mentorship.models import AuditEvent, Organization
from mentorship.tenancy import across_all_organizations, tenant_scope
from tests.conftest import Tenant
from tests.identity.settings_support import reauthenticated

PAGE = "/o/alpha/settings/domains/"


@pytest.fixture
def hr(alpha: Tenant, client_for):
    return reauthenticated(client_for(alpha.hr))


def domains_of(tenant: Tenant) -> list[str]:
    with tenant.scope():
        return list(ClaimedDomain.objects.values_list("domain", flat=True))


def add_address(tenant: Tenant, email: str, *, verified: bool = True) -> None:
    EmailAddress.objects.create(user=tenant.hr, email=email, verified=verified, primary=False)


def test_an_hr_admin_claims_the_domain_of_their_verified_address(alpha: Tenant, hr) -> None:
    # alpha's HR admin signs in as hr-admin@alpha.test (verified).
    assert "alpha.test" in hr.get(PAGE).content.decode()  # offered as claimable
    response = hr.post(PAGE, {"domain": " Alpha.TEST. "})
    assert response["Location"] == PAGE
    assert domains_of(alpha) == ["alpha.test"]
    page = hr.get(PAGE).content.decode()
    assert "alpha.test is claimed." in page and "hr-admin@alpha.test" in page
    with alpha.scope():
        event = AuditEvent.objects.get(action=AuditEvent.Action.DOMAIN_CLAIMED)
    assert event.summary == "Domain alpha.test claimed" and event.actor == alpha.hr


def test_a_domain_without_a_verified_address_of_the_admin_is_refused(alpha: Tenant, hr) -> None:
    add_address(alpha, "hr@unverified.example", verified=False)
    for domain in ("unverified.example", "beta.test", "example.org"):
        response = hr.post(PAGE, {"domain": domain})
        assert "only the domain of one of your own verified email addresses" in (
            response.content.decode()
        )
    assert domains_of(alpha) == []


def test_a_public_mail_provider_is_never_claimed(alpha: Tenant, hr) -> None:
    add_address(alpha, "someone@gmail.com")
    response = hr.post(PAGE, {"domain": "gmail.com"})
    assert "gmail.com is a public mail provider" in response.content.decode()
    assert (
        "gmail.com"
        not in hr.get(PAGE).content.decode().split("Claim a domain")[1].split("<form")[0]
    )
    with pytest.raises(ValidationError, match="public mail provider"), alpha.scope():
        services.domain_claim(organization=alpha.organization, domain="outlook.com", actor=None)
    assert domains_of(alpha) == []


def test_a_domain_of_another_organisation_is_refused_without_naming_it(
    alpha: Tenant, beta: Tenant, hr
) -> None:
    with beta.scope():
        services.domain_claim(organization=beta.organization, domain="shared.example", actor=None)
    add_address(alpha, "hr@shared.example")
    response = hr.post(PAGE, {"domain": "shared.example"})
    body = response.content.decode()
    assert "already claimed by another organisation" in body
    assert "Beta" not in body and "beta" not in body.split("<main")[1]
    assert domains_of(alpha) == []
    assert domains_of(beta) == ["shared.example"]


def test_two_claims_at_once_leave_the_domain_to_one_organisation(alpha: Tenant, beta: Tenant):
    """The unique column decides, not a read before the write: beta's claim is invisible in
    alpha's scope, and alpha's insert fails on the database's constraint."""
    with beta.scope():
        ClaimedDomain.objects.create(organization=beta.organization, domain="race.example")
    with alpha.scope(), pytest.raises(ValidationError, match="another organisation"):
        services.domain_claim(organization=alpha.organization, domain="race.example", actor=None)
    with alpha.scope():
        assert not AuditEvent.objects.filter(action=AuditEvent.Action.DOMAIN_CLAIMED).exists()


def test_a_domain_claimed_twice_by_the_same_organisation_says_so(alpha: Tenant, hr) -> None:
    hr.post(PAGE, {"domain": "alpha.test"})
    response = hr.post(PAGE, {"domain": "alpha.test"})
    assert "already claimed by this organisation" in response.content.decode()


def test_not_a_domain_is_explained(alpha: Tenant, hr) -> None:
    for value in ("not a domain", "localhost", "a@b@c"):
        response = hr.post(PAGE, {"domain": value})
        assert "This is not a domain name" in response.content.decode()


def test_releasing_asks_first_and_is_audited(alpha: Tenant, hr) -> None:
    hr.post(PAGE, {"domain": "alpha.test"})
    with alpha.scope():
        claim = ClaimedDomain.objects.get()
    release = f"/o/alpha/settings/domains/{claim.pk}/release/"
    assert "Release alpha.test?" in hr.get(release).content.decode()
    assert domains_of(alpha) == ["alpha.test"]
    assert hr.post(release)["Location"] == PAGE
    assert domains_of(alpha) == []
    with alpha.scope():
        event = AuditEvent.objects.get(action=AuditEvent.Action.DOMAIN_RELEASED)
    assert event.summary == "Domain alpha.test released"


def test_claiming_and_releasing_need_a_recent_confirmation(alpha: Tenant, client_for) -> None:
    client = client_for(alpha.hr)
    assert client.post(PAGE, {"domain": "alpha.test"})["Location"].startswith(
        "/accounts/reauthenticate/"
    )
    assert domains_of(alpha) == []
    with alpha.scope():
        claim = ClaimedDomain.objects.create(organization=alpha.organization, domain="alpha.test")
    release = f"/o/alpha/settings/domains/{claim.pk}/release/"
    assert client.post(release)["Location"].startswith("/accounts/reauthenticate/")
    assert domains_of(alpha) == ["alpha.test"]


def test_the_page_renders_empty_and_with_domains(alpha: Tenant, hr) -> None:
    assert "No domains claimed yet." in hr.get(PAGE).content.decode()
    with alpha.scope():
        ClaimedDomain.objects.create(organization=alpha.organization, domain="ops.example")
    body = hr.get(PAGE).content.decode()
    assert "ops.example" in body and "by the operators" in body


def test_operators_claim_domains_when_creating_an_organisation(db, mailoutbox) -> None:
    call_command(
        "create_organization",
        "acme",
        "Acme",
        "--hr-admin",
        "boss@acme.example",
        "--domain",
        "acme.example",
        "--domain",
        "ACME.co.uk",
    )
    organization = Organization.objects.get(slug="acme")
    with tenant_scope(organization):
        assert sorted(ClaimedDomain.objects.values_list("domain", flat=True)) == [
            "acme.co.uk",
            "acme.example",
        ]
        assert AuditEvent.objects.filter(action=AuditEvent.Action.DOMAIN_CLAIMED).count() == 2


def test_a_refused_domain_creates_no_organisation(db) -> None:
    with pytest.raises(CommandError, match="public mail provider"):
        call_command(
            "create_organization",
            "acme",
            "Acme",
            "--hr-admin",
            "a@acme.example",
            "--domain",
            "gmail.com",
        )
    with across_all_organizations():
        assert not Organization.objects.filter(slug="acme").exists()
