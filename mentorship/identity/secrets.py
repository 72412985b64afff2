"""Secrets at rest (an OIDC client secret, a SAML SP private key): encrypted with Fernet.

The key comes from ``SECRETS_ENCRYPTION_KEYS`` (comma-separated Fernet keys, the first encrypts,
all decrypt, so a key can be rotated), or, when that is unset, is derived from ``SECRET_KEY``: a
fresh checkout works with nothing configured, and a database copied without the settings holds
no readable secret either way."""

from __future__ import annotations

import base64
import hashlib
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


@cache
def _fernet() -> MultiFernet:
    keys = [k.strip() for k in getattr(settings, "SECRETS_ENCRYPTION_KEYS", []) if k.strip()]
    if not keys:
        digest = hashlib.sha256(f"secrets-at-rest:{settings.SECRET_KEY}".encode()).digest()
        keys = [base64.urlsafe_b64encode(digest).decode()]
    return MultiFernet([Fernet(k) for k in keys])


def encrypt(plain: str) -> str:
    """The ciphertext of ``plain``; empty stays empty (nothing to hide)."""
    if not plain:
        return ""
    return _fernet().encrypt(plain.encode()).decode()


def decrypt(cipher: str) -> str:
    """The plain text of ``cipher``; an empty string for an empty one.

    A ciphertext no configured key opens raises ``ValueError``: the configuration is wrong, and
    saying so beats signing people in with a secret silently missing."""
    if not cipher:
        return ""
    try:
        return _fernet().decrypt(cipher.encode()).decode()
    except InvalidToken as exc:
        raise ValueError(
            "No configured key decrypts this secret (SECRETS_ENCRYPTION_KEYS)"
        ) from exc
