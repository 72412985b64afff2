"""The home redirect, the organisation chooser and switcher, and the audit log page."""

from __future__ import annotations

from mentorship.models import AuditEvent, Role
from tests.conftest import PASSWORD, Tenant, totp_code
from tests.factories import MembershipFactory, UserFactory


def test_anonymous_home_asks_to_sign_in(client, db) -> None:
    assert client.get("/")["Location"].startswith("/accounts/login/")


def test_a_single_organisation_member_goes_straight_there(alpha: Tenant, client_for) -> None:
    assert client_for(alpha.participant).get("/")["Location"] == "/o/alpha/"


def test_a_member_of_several_organisations_chooses_and_can_switch(
    alpha: Tenant, beta: Tenant, client_for
) -> None:
    MembershipFactory(organization=beta.organization, user=alpha.hr, is_participant=True)
    client = client_for(alpha.hr)
    chooser = client.get("/").content.decode()
    assert "Choose an organisation" in chooser
    assert 'href="/o/alpha/"' in chooser and 'href="/o/beta/"' in chooser
    page = client.get("/o/beta/").content.decode()
    assert "(switch organisation)" in page
    assert 'href="/o/alpha/"' in page  # the switcher leads back
    assert "Members</a>" not in page  # a participant in beta: no HR menu there


def test_a_user_without_organisation_gets_guidance(client_for, db) -> None:
    page = client_for(UserFactory()).get("/").content.decode()
    assert "Ask your HR admin to invite" in page


def test_audit_log_is_for_hr_admins_of_that_organisation(
    alpha: Tenant, beta: Tenant, client_for
) -> None:
    with alpha.scope():
        AuditEvent.objects.create(
            organization=alpha.organization, action="member_removed", summary="alpha event"
        )
    with beta.scope():
        AuditEvent.objects.create(
            organization=beta.organization, action="member_removed", summary="beta event"
        )
    page = client_for(alpha.hr).get("/o/alpha/audit/").content.decode()
    assert "alpha event" in page and "beta event" not in page
    assert client_for(alpha.sponsor).get("/o/alpha/audit/").status_code == 404


def test_audit_log_filters_by_action(alpha: Tenant, client_for) -> None:
    with alpha.scope():
        AuditEvent.objects.create(
            organization=alpha.organization, action="member_removed", summary="removal"
        )
        AuditEvent.objects.create(
            organization=alpha.organization, action="invitation_sent", summary="invite"
        )
    page = (
        client_for(alpha.hr).get("/o/alpha/audit/", {"action": "invitation_sent"}).content.decode()
    )
    assert "invite" in page and "removal" not in page


def test_org_home_shows_roles_and_unread_count(alpha: Tenant, client_for) -> None:
    page = client_for(alpha.hr).get("/o/alpha/").content.decode()
    assert Role.HR_ADMIN.label in page
    assert "No unread notifications" in page


def test_friendly_404(alpha: Tenant, client_for) -> None:
    page = client_for(alpha.hr).get("/no/such/page/").content.decode()
    assert "Page not found" in page and "Go to your home page" in page


def test_mfa_policy_sends_hr_admins_and_sponsors_to_set_up_a_second_factor(
    alpha: Tenant, client_for
) -> None:
    alpha.organization.mfa_required = True
    alpha.organization.save()
    for user in (alpha.hr, alpha.sponsor):
        response = client_for(user).get("/o/alpha/", follow=True)
        assert response.redirect_chain[-1][0] == "/accounts/2fa/"
        assert "requires two-factor authentication" in response.content.decode()
    assert client_for(alpha.participant).get("/o/alpha/").status_code == 200


def test_mfa_policy_lets_in_those_who_signed_in_with_their_second_factor(
    alpha: Tenant, client
) -> None:
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    alpha.organization.mfa_required = True
    alpha.organization.save()
    secret = generate_totp_secret()
    TOTP.activate(alpha.hr, secret)
    client.post("/accounts/login/", {"login": alpha.hr.email, "password": PASSWORD})
    client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    assert client.get("/o/alpha/").status_code == 200


def test_hr_admins_set_k_never_below_three_and_it_is_audited(alpha: Tenant, client_for) -> None:
    client = client_for(alpha.hr)
    refused = client.post("/o/alpha/settings/", {"name": "Alpha", "anonymity_threshold": 2})
    assert "greater than or equal to 3" in refused.content.decode()
    client.post(
        "/o/alpha/settings/", {"name": "Alpha", "anonymity_threshold": 7, "mfa_required": ""}
    )
    alpha.organization.refresh_from_db()
    assert alpha.organization.anonymity_threshold == 7
    assert "k 5 → 7" in client.get("/o/alpha/audit/").content.decode()
    assert client_for(alpha.sponsor).get("/o/alpha/settings/").status_code == 404
