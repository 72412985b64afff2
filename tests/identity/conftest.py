"""Fixtures of the single sign-on tests (tests/identity/test_saml*, test_oidc*, test_sso_*),
named ``sso_*`` / ``oidc_*`` so they cannot clash with the settings and SCIM tests' helpers
(which live in their own modules). The building blocks are in ``sso_support``.

- ``sso_insecure``: python3-saml accepts the single-label host ``testserver``
  (``SSO_ALLOW_INSECURE``, as `make run` has it); use it in every SAML test module.
- ``oidc_server``: a real OpenID Connect provider (``oidc-provider-mock``) on a loopback port,
  one per test session, that requires a nonce; ``oidc_user(sub, claims)`` sets what it says of
  a person.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator

import pytest
import requests


@pytest.fixture
def sso_insecure(settings: object) -> None:
    settings.SSO_ALLOW_INSECURE = True  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def _oidc_server_is_local(request: pytest.FixtureRequest) -> None:
    """The mock provider listens on loopback, which the fetch guard refuses in production."""
    if "oidc_server" in request.fixturenames:
        request.getfixturevalue("settings").SSO_ALLOW_INSECURE = True


@pytest.fixture(scope="session")
def oidc_server() -> Iterator[str]:
    """The issuer URL of a provider running in a thread for the whole test session."""
    # Here, not at the top: the other identity tests need not load Flask and Authlib (whose
    # own deprecation warnings are not ours to act on).
    with warnings.catch_warnings():
        import authlib.deprecate  # noqa: F401  (installs an "always" filter of its own first)

        warnings.simplefilter("ignore")
        from oidc_provider_mock import run_server_in_thread

    with run_server_in_thread(require_nonce=True) as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture
def oidc_user(oidc_server: str) -> Callable[[str, dict], None]:
    def set_user(sub: str, claims: dict) -> None:
        response = requests.put(f"{oidc_server}/users/{sub}", json=claims, timeout=5)
        assert response.status_code == 204, response.text

    return set_user
