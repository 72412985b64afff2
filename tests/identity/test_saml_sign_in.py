"""Signing in through an organisation's SAML identity provider: responses signed in the test
with python3-saml's ``add_sign`` and a self-signed certificate. A good one signs in and makes
a participant with the directory's attributes; every altered one signs nobody in."""

from __future__ import annotations

import datetime
import time

import pytest
from django.test import Client
from django.utils import timezone

from mentorship.identity.models import ConsumedAssertion, DirectoryProfile, SingleSignOn
from mentorship.identity.sso import services
from mentorship.models import AuditEvent, Membership, User
from mentorship.tenancy import across_all_organizations
from tests.conftest import Tenant
from tests.identity.sso_support import (
    IDP_ENTITY_ID,
    browser,
    claim,
    key_pair,
    saml_post,
    saml_response,
    saml_sso,
    saml_start,
    signed_in_user_id,
)

pytestmark = pytest.mark.usefixtures("sso_insecure")

NEWCOMER = "dana.directory@alpha.test"


@pytest.fixture
def sso(alpha: Tenant) -> SingleSignOn:
    with alpha.scope():
        claim(alpha.organization, "alpha.test")
        return saml_sso(alpha.organization)


def _attempt(client: Client, sso: SingleSignOn, alpha: Tenant, **response: object) -> object:
    request_id = saml_start(client, alpha.organization)
    answer = saml_response(
        provider_id=sso.provider_id,
        in_response_to=request_id,
        **{"email": NEWCOMER, **response},
    )
    return saml_post(client, sso.provider_id, answer)


def _nobody_signed_in(client: Client) -> None:
    assert signed_in_user_id(client) is None
    assert not User.objects.filter(email=NEWCOMER).exists()


def test_a_signed_response_signs_in_a_newcomer_as_a_participant_with_directory_attributes(
    alpha: Tenant, beta: Tenant, sso: SingleSignOn
) -> None:
    client = browser()
    response = _attempt(
        client,
        sso,
        alpha,
        attributes={
            "department": "Data",
            "jobtitle": "Analyst",
            "manageremail": alpha.hr.email.upper(),
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email=NEWCOMER)
    assert signed_in_user_id(client) == str(user.pk)
    assert (user.first_name, user.last_name) == ("Dana", "Directory")
    assert user.emailaddress_set.get().verified
    with alpha.scope():
        membership = Membership.objects.get(user=user)
        assert membership.is_participant and not membership.is_hr_admin
        profile = DirectoryProfile.objects.get(membership=membership)
        assert (profile.department, profile.title) == ("Data", "Analyst")
        assert profile.manager_email == alpha.hr.email
    with across_all_organizations():
        assert not Membership.objects.filter(user=user, organization=beta.organization).exists()
    # Lands on the organisation's home page.
    assert client.get(response["Location"]).url == f"/o/{alpha.organization.slug}/"


def test_an_existing_members_directory_profile_follows_the_provider(
    alpha: Tenant, sso: SingleSignOn
) -> None:
    client = browser()
    request_id = saml_start(client, alpha.organization)
    answer = saml_response(
        provider_id=sso.provider_id,
        in_response_to=request_id,
        email=alpha.participant.email,
        attributes={"department": "Finance"},
    )
    saml_post(client, sso.provider_id, answer)
    assert signed_in_user_id(client) == str(alpha.participant.pk)
    with alpha.scope():
        profile = DirectoryProfile.objects.get(membership__user=alpha.participant)
        assert profile.department == "Finance"


@pytest.mark.parametrize(
    "altered",
    [
        pytest.param({"sign": False}, id="unsigned"),
        pytest.param({"signer": key_pair("attacker.example")}, id="signed-by-another-key"),
        pytest.param({"tamper": (NEWCOMER, "ceo@alpha.test")}, id="tampered-after-signing"),
        pytest.param({"valid_for": datetime.timedelta(minutes=-10)}, id="expired"),
        pytest.param({"audience_uri": "https://other.example/sp"}, id="wrong-audience"),
        pytest.param(
            {"recipient": "http://testserver/accounts/saml/saml-beta/acs/"}, id="wrong-recipient"
        ),
        pytest.param(
            {"destination": "http://testserver/accounts/saml/saml-beta/acs/"},
            id="wrong-destination",
        ),
    ],
)
def test_an_altered_response_signs_nobody_in(
    alpha: Tenant, sso: SingleSignOn, altered: dict
) -> None:
    client = browser()
    response = _attempt(client, sso, alpha, **altered)
    assert response.status_code == 401
    assert "Single sign-on failed" in response.content.decode()
    _nobody_signed_in(client)
    with alpha.scope():
        assert not ConsumedAssertion.objects.exists()


def test_an_identity_provider_initiated_response_is_refused(
    alpha: Tenant, sso: SingleSignOn
) -> None:
    client = browser()
    answer = saml_response(
        provider_id=sso.provider_id,
        in_response_to=None,
        email=NEWCOMER,
    )
    response = saml_post(client, sso.provider_id, answer)
    assert response.status_code == 401
    _nobody_signed_in(client)


def test_a_response_is_used_once(alpha: Tenant, sso: SingleSignOn) -> None:
    first = browser()
    request_id = saml_start(first, alpha.organization)
    answer = saml_response(
        provider_id=sso.provider_id,
        in_response_to=request_id,
        email=NEWCOMER,
    )
    saml_post(first, sso.provider_id, answer)
    assert signed_in_user_id(first) is not None

    # Posted again by the same browser: its sign-in state is spent.
    again = saml_post(first, sso.provider_id, answer)
    assert again.status_code in (401, 403)

    # Posted by an attacker whose session even holds a matching state (as if the state check
    # were beaten): the assertion id was recorded, so it is refused all the same.
    attacker = browser()
    session = attacker.session
    session["socialaccount_states"] = {
        request_id: [{"process": "login", "data": None}, time.time(), sso.provider_id]
    }
    session.save()
    replay = saml_post(attacker, sso.provider_id, answer)
    assert replay.status_code == 403
    assert signed_in_user_id(attacker) is None
    with alpha.scope():
        assert AuditEvent.objects.filter(
            action=AuditEvent.Action.SSO_REFUSED, summary__contains="replayed"
        ).exists()


def test_an_address_outside_the_organisations_domains_is_refused_and_audited(
    alpha: Tenant, beta: Tenant, sso: SingleSignOn
) -> None:
    client = browser()
    response = _attempt(client, sso, alpha, email=beta.hr.email)
    assert response.status_code == 403
    assert "outside" in response.content.decode()
    assert signed_in_user_id(client) is None
    with alpha.scope():
        assert AuditEvent.objects.filter(action=AuditEvent.Action.SSO_REFUSED).count() == 1
    with across_all_organizations():
        assert not Membership.objects.filter(user=beta.hr, organization=alpha.organization).exists()


def test_invited_only_signs_in_without_a_membership(alpha: Tenant, sso: SingleSignOn) -> None:
    sso.new_people = "invited_only"
    with alpha.scope():
        sso.save()
    client = browser()
    response = _attempt(client, sso, alpha)
    user = User.objects.get(email=NEWCOMER)
    assert signed_in_user_id(client) == str(user.pk)
    with across_all_organizations():
        assert not Membership.objects.filter(user=user).exists()
    home = client.get(response["Location"], follow=True)
    assert "it gives access by invitation" in home.content.decode()


def test_next_only_leads_to_this_site(alpha: Tenant, sso: SingleSignOn) -> None:
    client = browser()
    request_id = saml_start(client, alpha.organization, next_url="https://evil.example/steal")
    answer = saml_response(
        provider_id=sso.provider_id,
        in_response_to=request_id,
        email=NEWCOMER,
    )
    response = saml_post(client, sso.provider_id, answer)
    assert signed_in_user_id(client) is not None
    assert "evil.example" not in response["Location"]

    kept = browser()
    request_id = saml_start(kept, alpha.organization, next_url="/o/alpha/members/")
    answer = saml_response(
        provider_id=sso.provider_id,
        in_response_to=request_id,
        email=alpha.hr.email,
    )
    assert saml_post(kept, sso.provider_id, answer)["Location"] == "/o/alpha/members/"


def test_our_service_provider_metadata_names_our_entity_and_acs(
    alpha: Tenant, sso: SingleSignOn
) -> None:
    response = browser().get(f"/accounts/saml/{sso.provider_id}/metadata/")
    body = response.content.decode()
    assert response.status_code == 200
    assert f"/accounts/saml/{sso.provider_id}/acs/" in body
    assert IDP_ENTITY_ID not in body


def test_an_assertion_id_is_accepted_once_and_forgotten_after_it_expires(
    alpha: Tenant, sso: SingleSignOn
) -> None:
    soon, past = time.time() + 300, time.time() - 60
    with alpha.scope():
        assert services.assertion_consume(sso=sso, assertion_id="_a", not_on_or_after=soon)
        assert not services.assertion_consume(sso=sso, assertion_id="_a", not_on_or_after=soon)
        assert services.assertion_consume(sso=sso, assertion_id="_old", not_on_or_after=past)
        assert services.assertion_consume(sso=sso, assertion_id="_b", not_on_or_after=None)
        # Recording "_b" swept the expired "_old" away (its own expiry refuses it anyway).
        assert set(ConsumedAssertion.objects.values_list("assertion_id", flat=True)) == {
            "_a",
            "_b",
        }


def test_a_removed_member_is_not_brought_back_by_signing_in(
    alpha: Tenant, sso: SingleSignOn
) -> None:
    with alpha.scope():
        Membership.objects.filter(user=alpha.participant).update(removed_at=timezone.now())
    client = browser()
    _attempt(client, sso, alpha, email=alpha.participant.email)
    assert signed_in_user_id(client) == str(alpha.participant.pk)
    with alpha.scope():
        assert Membership.objects.get(user=alpha.participant).removed_at is not None
