"""The attack these tests refuse (each failed before its fix):

An anonymous POST to an organisation's ACS (or a GET of its SLS) with a
SAMLResponse / SAMLRequest that is not well-formed, is empty, or carries a DTD is a 500
(python3-saml raises ``DTDForbidden`` / ``lxml.etree.XMLSyntaxError`` / ``binascii.Error``,
which allauth's views do not catch). No entity is expanded (the parser refuses the DTD), but
anyone can fill the error log and page the on-call at will; the answer should be the same
401/400 "Single sign-on failed" an altered response gets."""

from __future__ import annotations

import base64

import pytest

from mentorship.identity.models import SingleSignOn
from tests.conftest import Tenant
from tests.identity.sso_support import browser, claim, saml_sso, saml_start, signed_in_user_id

pytestmark = pytest.mark.usefixtures("sso_insecure")


@pytest.fixture
def sso(alpha: Tenant) -> SingleSignOn:
    with alpha.scope():
        claim(alpha.organization, "alpha.test")
        return saml_sso(alpha.organization)


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    "saml_response",
    [
        pytest.param(
            _b64(
                '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
                '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><r>&b;</r>'
            ),
            id="billion-laughs",
        ),
        pytest.param(
            _b64(
                '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]><r>&e;</r>'
            ),
            id="xxe",
        ),
        pytest.param(_b64("<not xml"), id="not-xml"),
        pytest.param("", id="empty"),
    ],
)
def test_a_hostile_saml_response_is_refused_not_a_500(
    alpha: Tenant, sso: SingleSignOn, saml_response: str
) -> None:
    client = browser()
    client.raise_request_exception = False
    saml_start(client, alpha.organization)
    first = client.post(f"/accounts/saml/{sso.provider_id}/acs/", {"SAMLResponse": saml_response})
    response = client.get(first["Location"])
    assert signed_in_user_id(client) is None
    assert response.status_code < 500, response.status_code


def test_a_garbage_logout_request_is_refused_not_a_500(sso: SingleSignOn) -> None:
    client = browser()
    client.raise_request_exception = False
    response = client.get(f"/accounts/saml/{sso.provider_id}/sls/", {"SAMLRequest": "zzz"})
    assert response.status_code < 500, response.status_code
