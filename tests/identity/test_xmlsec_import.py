"""python3-saml signs and verifies through ``xmlsec``, whose wheel bundles its own libxml2; lxml
must be built against the same one, or importing both fails ("lxml & xmlsec libxml2 library
version mismatch"). pyproject.toml pins both (xmlsec 1.3.17, lxml 6.1/6.2); this fails at once
when an upgrade breaks the pair, instead of at the first SAML sign-in."""

from __future__ import annotations

import lxml.etree
import xmlsec
from onelogin.saml2.utils import OneLogin_Saml2_Utils

from tests.identity.sso_support import key_pair


def test_xmlsec_and_lxml_load_together_and_sign_and_verify_a_document() -> None:
    assert xmlsec.__version__ == "1.3.17"
    assert lxml.etree.LXML_VERSION[:2] in ((6, 1), (6, 2))
    keys = key_pair("smoke.test")
    document = (
        '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
        'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_smoke" Version="2.0" '
        'IssueInstant="2026-01-01T00:00:00Z"><saml:Issuer>smoke</saml:Issuer></samlp:Response>'
    )
    signed = OneLogin_Saml2_Utils.add_sign(document, keys.private_key, keys.certificate)
    assert OneLogin_Saml2_Utils.validate_sign(signed, keys.certificate, raise_exceptions=True)
    tampered = signed.replace(b"smoke</saml:Issuer>", b"evil</saml:Issuer>")
    assert not OneLogin_Saml2_Utils.validate_sign(tampered, keys.certificate)
