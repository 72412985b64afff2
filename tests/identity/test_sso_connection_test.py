"""Testing the connection (HR admins): the provider signs the HR admin in, and the page comes
back to Settings with what it sent. Nobody is signed in or changed by a test, and a draft
configuration serves that one session only."""

from __future__ import annotations

import pytest
from allauth.socialaccount.models import SocialAccount
from django.contrib.messages import get_messages

from mentorship.identity.models import SingleSignOn
from mentorship.identity.sso.adapter import TESTING_SESSION_KEY
from mentorship.models import AuditEvent, Membership, User
from tests.conftest import Tenant
from tests.identity.sso_support import (
    IDP_SSO_URL,
    authn_request_id,
    browser,
    claim,
    provider_url,
    saml_post,
    saml_response,
    saml_sso,
    signed_in_user_id,
)

pytestmark = pytest.mark.usefixtures("sso_insecure")

TESTER = "it.tester@alpha.test"


@pytest.fixture
def draft(alpha: Tenant) -> SingleSignOn:
    with alpha.scope():
        claim(alpha.organization, "alpha.test")
        return saml_sso(alpha.organization, status=SingleSignOn.Status.DRAFT)


def _hr_client(alpha: Tenant, client_for: object) -> object:
    client = client_for(alpha.hr)  # type: ignore[operator]
    client.defaults["HTTP_HOST"] = "testserver"
    return client


def test_a_test_shows_what_the_provider_sent_and_signs_nobody_in(
    alpha: Tenant, draft: SingleSignOn, client_for: object
) -> None:
    client = _hr_client(alpha, client_for)
    url = provider_url(client.post("/o/alpha/settings/sso/test/"))
    assert url.startswith(IDP_SSO_URL)
    answer = saml_response(
        provider_id=draft.provider_id,
        in_response_to=authn_request_id(url),
        email=TESTER,
        attributes={"department": "IT", "level": "L4"},
    )
    response = saml_post(client, draft.provider_id, answer)
    assert response["Location"] == "/o/alpha/settings/sso/"
    # Still the HR admin, in the same session; nobody new, nothing linked.
    assert signed_in_user_id(client) == str(alpha.hr.pk)
    assert TESTING_SESSION_KEY not in client.session
    assert not User.objects.filter(email=TESTER).exists()
    assert not SocialAccount.objects.exists()
    with alpha.scope():
        draft.refresh_from_db()
        assert draft.status == SingleSignOn.Status.TESTED
        assert draft.tested_by == alpha.hr and draft.tested_at is not None
        result = draft.test_attributes
        assert result["mapped"]["email"] == TESTER
        assert result["mapped"]["department"] == "IT" and result["mapped"]["level"] == 4
        assert result["received"]["department"] == ["IT"]
        assert result["claimed"] is True and result["subject"] == TESTER
        assert AuditEvent.objects.filter(action=AuditEvent.Action.SSO_TESTED).count() == 1
        assert not Membership.objects.filter(user__email=TESTER).exists()


def test_a_failed_test_returns_with_the_reason(
    alpha: Tenant, draft: SingleSignOn, client_for: object
) -> None:
    client = _hr_client(alpha, client_for)
    url = provider_url(client.post("/o/alpha/settings/sso/test/"))
    answer = saml_response(
        provider_id=draft.provider_id,
        in_response_to=authn_request_id(url),
        email=TESTER,
        sign=False,
    )
    response = saml_post(client, draft.provider_id, answer)
    assert response["Location"] == "/o/alpha/settings/sso/"
    shown = [str(m) for m in get_messages(response.wsgi_request)]  # type: ignore[attr-defined]
    assert any("No Signature found" in m for m in shown), shown
    assert TESTING_SESSION_KEY not in client.session
    with alpha.scope():
        draft.refresh_from_db()
        assert draft.status == SingleSignOn.Status.DRAFT and draft.tested_at is None


def test_only_hr_admins_test_and_only_by_post(
    alpha: Tenant, draft: SingleSignOn, client_for: object
) -> None:
    for user in (alpha.sponsor, alpha.participant):
        assert client_for(user).post("/o/alpha/settings/sso/test/").status_code == 404  # type: ignore[operator]
    assert client_for(alpha.hr).get("/o/alpha/settings/sso/test/").status_code == 405  # type: ignore[operator]


def test_a_draft_serves_only_the_session_testing_it(
    alpha: Tenant, draft: SingleSignOn, client_for: object
) -> None:
    tester = _hr_client(alpha, client_for)
    url = provider_url(tester.post("/o/alpha/settings/sso/test/"))
    # Someone else posting a valid response for the draft gets nothing.
    other = browser()
    answer = saml_response(
        provider_id=draft.provider_id, in_response_to=authn_request_id(url), email=TESTER
    )
    assert saml_post(other, draft.provider_id, answer).status_code == 404
    assert signed_in_user_id(other) is None


def test_testing_before_saving_a_configuration_leads_to_the_settings(
    alpha: Tenant, client_for: object
) -> None:
    response = client_for(alpha.hr).post("/o/alpha/settings/sso/test/")  # type: ignore[operator]
    assert response["Location"] == "/o/alpha/settings/sso/"
