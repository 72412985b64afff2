"""SSO-only: where an organisation requires single sign-on, addresses in its claimed domains
cannot sign in with a password nor reset it, and are told the way in. Break-glass: its HR
admins with a second factor still can (password, then the second factor), audited."""

from __future__ import annotations

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core import mail
from django.test import Client

from mentorship.identity.models import SingleSignOn
from mentorship.models import AuditEvent
from tests.conftest import PASSWORD, Tenant, totp_code
from tests.identity.sso_support import claim, saml_sso

WAY_IN = "Alpha signs in through single sign-on: use"


@pytest.fixture
def sso_only(alpha: Tenant, beta: Tenant) -> SingleSignOn:
    with alpha.scope():
        claim(alpha.organization, "alpha.test")
        return saml_sso(alpha.organization, sso_only=True)


def _password_sign_in(email: str, password: str = PASSWORD) -> tuple[Client, object]:
    client = Client()
    return client, client.post("/accounts/login/", {"login": email, "password": password})


def _refused(client: Client, response: object) -> None:
    body = response.content.decode()  # type: ignore[attr-defined]
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert WAY_IN in body
    assert 'href="/o/alpha/sso/"' in body
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("password", [PASSWORD, "not the password"])
@pytest.mark.parametrize("who", ["participant", "sponsor", "hr"])
def test_a_password_is_refused_with_the_way_in(
    alpha: Tenant, sso_only: SingleSignOn, who: str, password: str
) -> None:
    _refused(*_password_sign_in(getattr(alpha, who).email, password))


def test_an_address_without_an_account_gets_the_same_answer(sso_only: SingleSignOn) -> None:
    _refused(*_password_sign_in("nobody@alpha.test"))


def test_other_domains_and_other_policies_keep_passwords(
    alpha: Tenant, beta: Tenant, sso_only: SingleSignOn
) -> None:
    client, response = _password_sign_in(beta.participant.email)
    assert response.status_code == 302 and "_auth_user_id" in client.session
    with alpha.scope():
        SingleSignOn.objects.filter(pk=sso_only.pk).update(sso_only=False)
    client, response = _password_sign_in(alpha.participant.email)
    assert response.status_code == 302 and "_auth_user_id" in client.session


def test_break_glass_lets_an_hr_admin_in_with_password_and_second_factor_audited(
    alpha: Tenant, sso_only: SingleSignOn
) -> None:
    secret = generate_totp_secret()
    TOTP.activate(alpha.hr, secret)
    client, response = _password_sign_in(alpha.hr.email)
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert "_auth_user_id" not in client.session
    with alpha.scope():
        assert not AuditEvent.objects.filter(action=AuditEvent.Action.BREAK_GLASS_SIGN_IN).exists()
    client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    assert client.session["_auth_user_id"] == str(alpha.hr.pk)
    with alpha.scope():
        event = AuditEvent.objects.get(action=AuditEvent.Action.BREAK_GLASS_SIGN_IN)
        assert event.actor == alpha.hr and alpha.hr.email in event.summary


@pytest.mark.parametrize("case", ["break-glass off", "sponsor", "wrong password"])
def test_break_glass_is_for_hr_admins_with_a_second_factor_only(
    alpha: Tenant, sso_only: SingleSignOn, case: str
) -> None:
    user = alpha.sponsor if case == "sponsor" else alpha.hr
    TOTP.activate(user, generate_totp_secret())
    if case == "break-glass off":
        with alpha.scope():
            SingleSignOn.objects.filter(pk=sso_only.pk).update(break_glass=False)
    password = "not the password" if case == "wrong password" else PASSWORD
    _refused(*_password_sign_in(user.email, password))


def test_a_password_reset_is_refused_with_the_way_in_except_for_break_glass(
    alpha: Tenant, sso_only: SingleSignOn
) -> None:
    client = Client()
    response = client.post("/accounts/password/reset/", {"email": alpha.participant.email})
    assert WAY_IN in response.content.decode()
    assert mail.outbox == []

    TOTP.activate(alpha.hr, generate_totp_secret())
    response = client.post("/accounts/password/reset/", {"email": alpha.hr.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [alpha.hr.email]


def test_signing_up_with_a_password_is_refused_with_the_way_in(sso_only: SingleSignOn) -> None:
    response = Client().post(
        "/accounts/signup/",
        {"email": "new@alpha.test", "password1": "a long pass 42!", "password2": "a long pass 42!"},
    )
    assert WAY_IN in response.content.decode()
    assert mail.outbox == []
