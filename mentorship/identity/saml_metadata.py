"""What an HR admin pastes to configure SAML 2.0, checked before it is saved, and our own key pair.

- An identity provider's metadata XML is parsed with python3-saml's parser, which refuses a
  DTD and entity declarations (no billion laughs, no external entities) and never fetches a
  URL: the metadata is pasted, not downloaded.
- A signing certificate is accepted as PEM or as the bare base64 most IdP consoles show, and
  must load as an X.509 certificate that has not expired.
- Our service-provider key pair (the IdP may encrypt assertions to it, we sign requests with
  it) is made here: RSA 2048, self-signed, ten years. IdPs pin the certificate, so it lasts.

Every error is a ``ValidationError`` whose message says what to do about it.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import re
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from django.core.exceptions import ValidationError
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from lxml.etree import XMLSyntaxError
from onelogin.saml2.constants import OneLogin_Saml2_Constants
from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser
from onelogin.saml2.xmlparser import DTDForbidden, EntitiesForbidden, NotSupportedError

SP_CERTIFICATE_YEARS = 10
# The columns the entity ID and single sign-on URL are saved in (SingleSignOn.idp_entity_id,
# .idp_sso_url): pasted metadata is not held to a form field's max_length, and a longer value is
# a DataError (a 500) on PostgreSQL or silently stored whole on SQLite.
MAX_VALUE_LENGTH = 500
_PEM = re.compile(
    r"-----BEGIN CERTIFICATE-----(?P<body>[A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----"
)


@dataclass(frozen=True)
class IdentityProvider:
    entity_id: str
    sso_url: str
    certificate: str  # PEM


@dataclass(frozen=True)
class CertificateSummary:
    subject: str
    not_after: datetime.datetime

    @property
    def expired(self) -> bool:
        return self.not_after <= datetime.datetime.now(datetime.UTC)


def certificate_load(text: str) -> x509.Certificate:
    """The certificate in ``text`` (PEM, or the base64 body alone, line breaks allowed)."""
    text = (text or "").strip()
    match = _PEM.search(text)
    body = match.group("body") if match else text
    body = "".join(body.split())
    try:
        der = base64.b64decode(body, validate=True)
        return x509.load_der_x509_certificate(der)
    except (binascii.Error, ValueError) as exc:
        raise ValidationError(
            _(
                "This is not an X.509 certificate. Paste the IdP's signing certificate as PEM "
                "(-----BEGIN CERTIFICATE----- …) or as the base64 text of the .cer file."
            )
        ) from exc


def certificate_pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def certificate_summary(text: str) -> CertificateSummary | None:
    """Subject and expiry of a stored certificate, for the settings page (None when unset)."""
    if not text:
        return None
    try:
        certificate = certificate_load(text)
    except ValidationError:
        return None
    return CertificateSummary(
        subject=certificate.subject.rfc4514_string(), not_after=certificate.not_valid_after_utc
    )


def signing_certificate_clean(text: str) -> str:
    """The certificate as PEM, refused when it does not load or has expired."""
    certificate = certificate_load(text)
    expiry = certificate.not_valid_after_utc
    if expiry <= datetime.datetime.now(datetime.UTC):
        raise ValidationError(
            _(
                "This certificate expired on %(date)s. Download the current signing "
                "certificate from your identity provider."
            )
            % {"date": date_format(expiry, "DATE_FORMAT")}
        )
    return certificate_pem(certificate)


def metadata_parse(xml: str) -> IdentityProvider:
    """Entity ID, single sign-on URL (HTTP-Redirect binding, the one our sign-in uses) and the
    first signing certificate of pasted IdP metadata."""
    try:
        data = OneLogin_Saml2_IdPMetadataParser.parse(
            xml.strip().encode(),
            required_sso_binding=OneLogin_Saml2_Constants.BINDING_HTTP_REDIRECT,
        )
    except (DTDForbidden, EntitiesForbidden, NotSupportedError) as exc:
        raise ValidationError(
            _(
                "This XML declares a document type or entities, which metadata never needs: it "
                "is refused for safety. Paste the metadata exactly as your identity provider "
                "gives it."
            )
        ) from exc
    except (XMLSyntaxError, ValueError) as exc:
        raise ValidationError(
            _(
                "This is not well-formed XML. Paste the whole metadata document, from <?xml … or "
                "<EntityDescriptor to the end."
            )
        ) from exc
    idp = data.get("idp") or {}
    entity_id = idp.get("entityId", "")
    if not entity_id:
        raise ValidationError(
            _(
                "No identity provider found in this metadata (an EntityDescriptor with an "
                "IDPSSODescriptor). Is it your service provider's metadata rather than the "
                "IdP's?"
            )
        )
    sso_url = (idp.get("singleSignOnService") or {}).get("url", "")
    if not sso_url:
        raise ValidationError(
            _(
                "The metadata has no single sign-on URL with the HTTP-Redirect binding. Enable "
                "it in your identity provider, or enter the entity ID, URL and certificate below."
            )
        )
    too_long = (
        (
            entity_id,
            _(
                "The metadata's entity ID is %(length)s characters long; at most %(limit)s are "
                "accepted. Check that this is your identity provider's metadata."
            ),
        ),
        (
            sso_url,
            _(
                "The metadata's single sign-on URL is %(length)s characters long; at most "
                "%(limit)s are accepted. Check that this is your identity provider's metadata."
            ),
        ),
    )
    for value, message in too_long:
        if len(value) > MAX_VALUE_LENGTH:
            raise ValidationError(message % {"length": len(value), "limit": MAX_VALUE_LENGTH})
    certificates = (idp.get("x509certMulti") or {}).get("signing") or [idp.get("x509cert")]
    if not certificates or not certificates[0]:
        raise ValidationError(_("The metadata has no signing certificate."))
    return IdentityProvider(
        entity_id=entity_id,
        sso_url=sso_url,
        certificate=signing_certificate_clean(certificates[0]),
    )


def sp_key_pair(*, common_name: str) -> tuple[str, str]:
    """A new service-provider certificate and private key, both PEM."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64])])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=365 * SP_CERTIFICATE_YEARS))
        .sign(key, hashes.SHA256())
    )
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return certificate_pem(certificate), private_pem
