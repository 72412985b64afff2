"""Test-only pieces of the single sign-on tests (fixtures in ``conftest.py`` use them): a
self-signed key pair made with ``cryptography``, SAML responses signed in-process with
python3-saml's own ``add_sign`` (as an identity provider would), and the steps of a sign-in
driven through Django's test client.

An identity provider here is a key pair and an entity id; what it answers is built by
``saml_response`` with every field a test may want wrong (audience, recipient, validity,
signature)."""

from __future__ import annotations

import base64
import datetime
import re
import uuid
import zlib
from dataclasses import dataclass
from functools import cache
from urllib.parse import parse_qs, urlparse

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from django.test import Client
from onelogin.saml2.utils import OneLogin_Saml2_Utils

from mentorship.identity import secrets
from mentorship.identity.models import ClaimedDomain, SingleSignOn
from mentorship.models import Organization

SITE = "http://testserver"
IDP_ENTITY_ID = "https://idp.example.com/saml"
IDP_SSO_URL = "https://idp.example.com/saml/sso"
ENTRA = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims"


@dataclass(frozen=True)
class KeyPair:
    private_key: str
    certificate: str


@cache
def key_pair(common_name: str) -> KeyPair:
    """A self-signed RSA certificate and its key (PEM), made once per name and test run."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    return KeyPair(
        private_key=key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode(),
        certificate=cert.public_bytes(serialization.Encoding.PEM).decode(),
    )


def claim(organization: Organization, domain: str) -> ClaimedDomain:
    return ClaimedDomain.objects.create(organization=organization, domain=domain)


def saml_sso(organization: Organization, **fields: object) -> SingleSignOn:
    """A live SAML configuration trusting ``key_pair("idp")``, with our own SP key pair."""
    idp, sp = key_pair("idp.example.com"), key_pair("sp.testserver")
    values: dict[str, object] = {
        "provider_id": f"saml-{organization.slug}",
        "protocol": SingleSignOn.Protocol.SAML,
        "status": SingleSignOn.Status.LIVE,
        "idp_entity_id": IDP_ENTITY_ID,
        "idp_sso_url": IDP_SSO_URL,
        "idp_certificate": idp.certificate,
        "sp_certificate": sp.certificate,
        "sp_private_key_encrypted": secrets.encrypt(sp.private_key),
        "mapping_preset": SingleSignOn.MappingPreset.ENTRA,
        "attribute_mapping": {
            "email": f"{ENTRA}/emailaddress",
            "first_name": f"{ENTRA}/givenname",
            "last_name": f"{ENTRA}/surname",
            "department": "department",
            "title": "jobtitle",
            "manager_email": "manageremail",
        },
    }
    values.update(fields)
    return SingleSignOn.objects.create(organization=organization, **values)


def oidc_sso(organization: Organization, issuer: str, **fields: object) -> SingleSignOn:
    values: dict[str, object] = {
        "provider_id": f"oidc-{organization.slug}",
        "protocol": SingleSignOn.Protocol.OIDC,
        "status": SingleSignOn.Status.LIVE,
        "issuer": issuer,
        "client_id": f"client-{organization.slug}",
        "client_secret_encrypted": secrets.encrypt("a client secret"),
        "attribute_mapping": {"title": "job_title"},
    }
    values.update(fields)
    return SingleSignOn.objects.create(organization=organization, **values)


def acs_url(provider_id: str) -> str:
    return f"{SITE}/accounts/saml/{provider_id}/acs/"


def audience(provider_id: str) -> str:
    return f"{SITE}/accounts/saml/{provider_id}/metadata/"


def _instant(delta: datetime.timedelta = datetime.timedelta()) -> str:
    moment = datetime.datetime.now(datetime.UTC) + delta
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def saml_response(
    *,
    provider_id: str,
    in_response_to: str | None,
    email: str,
    attributes: dict[str, str] | None = None,
    audience_uri: str | None = None,
    recipient: str | None = None,
    destination: str | None = None,
    valid_for: datetime.timedelta = datetime.timedelta(minutes=5),
    sign: bool = True,
    signer: KeyPair | None = None,
    tamper: tuple[str, str] | None = None,
) -> str:
    """A base64 SAML response from the test identity provider, signed (whole response) with
    ``signer`` (by default the key the configuration trusts). ``tamper`` replaces a text after
    signing, as a man in the middle would."""
    answer_to = f' InResponseTo="{in_response_to}"' if in_response_to else ""
    values = {
        f"{ENTRA}/emailaddress": email,
        f"{ENTRA}/givenname": "Dana",
        f"{ENTRA}/surname": "Directory",
        **(attributes or {}),
    }
    statements = "".join(
        f'<saml:Attribute Name="{name}"><saml:AttributeValue xsi:type="xs:string">{value}'
        "</saml:AttributeValue></saml:Attribute>"
        for name, value in values.items()
    )
    expiry = _instant(valid_for)
    xml = (
        '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
        'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" '
        f'ID="_r{uuid.uuid4().hex}" Version="2.0" IssueInstant="{_instant()}" '
        f'Destination="{destination or acs_url(provider_id)}"{answer_to}>'
        f"<saml:Issuer>{IDP_ENTITY_ID}</saml:Issuer>"
        '<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/>'
        "</samlp:Status>"
        '<saml:Assertion xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xmlns:xs="http://www.w3.org/2001/XMLSchema" '
        f'ID="_a{uuid.uuid4().hex}" Version="2.0" IssueInstant="{_instant()}">'
        f"<saml:Issuer>{IDP_ENTITY_ID}</saml:Issuer>"
        "<saml:Subject>"
        '<saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">'
        f"{email}</saml:NameID>"
        '<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">'
        f'<saml:SubjectConfirmationData NotOnOrAfter="{expiry}" '
        f'Recipient="{recipient or acs_url(provider_id)}"{answer_to}/>'
        "</saml:SubjectConfirmation></saml:Subject>"
        f'<saml:Conditions NotBefore="{_instant(-datetime.timedelta(minutes=5))}" '
        f'NotOnOrAfter="{expiry}">'
        "<saml:AudienceRestriction>"
        f"<saml:Audience>{audience_uri or audience(provider_id)}</saml:Audience>"
        "</saml:AudienceRestriction></saml:Conditions>"
        f'<saml:AuthnStatement AuthnInstant="{_instant()}" SessionIndex="_s{uuid.uuid4().hex}">'
        "<saml:AuthnContext><saml:AuthnContextClassRef>"
        "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
        "</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>"
        f"<saml:AttributeStatement>{statements}</saml:AttributeStatement>"
        "</saml:Assertion></samlp:Response>"
    )
    if sign:
        keys = signer or key_pair("idp.example.com")
        signed = OneLogin_Saml2_Utils.add_sign(xml, keys.private_key, keys.certificate)
        xml = signed.decode() if isinstance(signed, bytes) else signed
    if tamper:
        assert tamper[0] in xml, tamper
        xml = xml.replace(tamper[0], tamper[1])
    return base64.b64encode(xml.encode()).decode()


def provider_url(response: object) -> str:
    """Where a started sign-in sends the browser (the page that moves on to the provider)."""
    assert response.status_code == 200, response.status_code  # type: ignore[attr-defined]
    match = re.search(r'id="continue-to-provider" href="([^"]+)"', response.content.decode())  # type: ignore[attr-defined]
    assert match, "no link to the provider"
    return match.group(1).replace("&amp;", "&")


def authn_request_id(url: str) -> str:
    """The id of the SAML AuthnRequest in a redirect-binding URL (what InResponseTo answers)."""
    encoded = parse_qs(urlparse(url).query)["SAMLRequest"][0]
    xml = zlib.decompress(base64.b64decode(encoded), -15).decode()
    match = re.search(r'ID="([^"]+)"', xml)
    assert match
    return match.group(1)


def saml_start(client: Client, organization: Organization, next_url: str = "") -> str:
    """Start the organisation's sign-in (``/o/<slug>/sso/``); the AuthnRequest's id."""
    data = {"next": next_url} if next_url else {}
    response = client.post(f"/o/{organization.slug}/sso/", data)
    url = provider_url(response)
    assert url.startswith(IDP_SSO_URL), url
    return authn_request_id(url)


def saml_post(client: Client, provider_id: str, saml_b64: str) -> object:
    """Post the response to our ACS as the browser would, and follow allauth's hop to
    ``acs/finish/`` (where it is checked); the final response."""
    first = client.post(
        f"/accounts/saml/{provider_id}/acs/", {"SAMLResponse": saml_b64}, HTTP_HOST="testserver"
    )
    assert first.status_code == 302, first.status_code
    return client.get(first["Location"], HTTP_HOST="testserver")


def signed_in_user_id(client: Client) -> str | None:
    return client.session.get("_auth_user_id")


def browser() -> Client:
    """A test client that sends ``Host`` as browsers do (python3-saml reads it to check the
    response's destination and recipient)."""
    return Client(HTTP_HOST="testserver")
