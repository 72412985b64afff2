"""Shared pieces of the identity settings tests: a recently re-authenticated HR admin's client,
certificates and IdP metadata made with ``cryptography``."""

from __future__ import annotations

import base64
import datetime
import time
from functools import cache

from allauth.account.internal.flows.login import (
    _AUTHENTICATION_METHODS_USER_SESSION_KEY,
    AUTHENTICATION_METHODS_SESSION_KEY,
)
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.test import Client

from mentorship.identity import saml_metadata


def reauthenticated(client: Client, seconds_ago: float = 0) -> Client:
    """The session confirmed the password ``seconds_ago`` (as allauth records it)."""
    session = client.session
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "password", "at": time.time() - seconds_ago, "reauthenticated": True}
    ]
    session[_AUTHENTICATION_METHODS_USER_SESSION_KEY] = session["_auth_user_id"]
    session.save()
    return client


@cache
def certificate(common_name: str = "idp.example.com", *, days: int = 365) -> str:
    """A self-signed certificate (PEM). An EC key: quick to make, and the settings only load it."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=400))
        .not_valid_after(now + datetime.timedelta(days=days))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def bare_base64(pem: str) -> str:
    """The certificate as most IdP consoles show it: base64 of the DER, no armour."""
    der = x509.load_pem_x509_certificate(pem.encode()).public_bytes(serialization.Encoding.DER)
    return base64.b64encode(der).decode()


def idp_metadata(
    *,
    entity_id: str = "https://idp.example.com/saml",
    sso_url: str = "https://idp.example.com/sso",
    binding: str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect",
    cert: str | None = None,
) -> str:
    body = bare_base64(cert or certificate())
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"
    xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{entity_id}">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing">
      <ds:KeyInfo><ds:X509Data><ds:X509Certificate>
{body[:64]}
{body[64:]}
      </ds:X509Certificate></ds:X509Data></ds:KeyInfo>
    </md:KeyDescriptor>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>
    <md:SingleSignOnService Binding="{binding}" Location="{sso_url}"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>
"""


_REAL_SP_KEY_PAIR = saml_metadata.sp_key_pair


@cache
def sp_key_pair_once() -> tuple[str, str]:
    """One real service-provider key pair for the whole run (RSA 2048 takes a while to make)."""
    return _REAL_SP_KEY_PAIR(common_name="tests")
