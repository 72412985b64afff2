"""The requests session allauth fetches an OpenID Connect provider with at sign-in (discovery
document, token, userinfo, JWKS), handed out by the adapter's ``get_requests_session``.

The issuer was checked when an HR admin saved it, but allauth fetches the discovery document
again at every sign-in and then calls the endpoints *it* names: a provider whose document or
DNS changed since would make our server call internal addresses. So every request is fenced
as the save is (``oidc_discovery.check_url``: https, public addresses only, unless
``SSO_ALLOW_INSECURE``), redirects are not followed (a public URL could redirect inwards), and
the body is capped. A refusal is a ``requests.RequestException``, which allauth's views and
our ``sign_in_start`` already answer as a provider that could not be reached.

(A host whose DNS answer changes between the check and the connection could still reach an
internal address, as at save; it would see only that the sign-in failed, never the body.)"""

from __future__ import annotations

from typing import Any

import requests
from django.core.exceptions import ValidationError

from mentorship.identity.oidc_discovery import MAX_BYTES, TIMEOUT_SECONDS, check_url, read_capped


class FetchRefused(requests.RequestException):
    """A URL the fence refused, or an answer too large to be a provider's."""


class GuardedSession(requests.Session):
    def request(  # type: ignore[override]
        self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any
    ) -> requests.Response:
        target = url.decode() if isinstance(url, bytes) else str(url)
        try:
            check_url(target, what="identity provider's URL")
        except ValidationError as exc:
            raise FetchRefused(f"{target}: {' '.join(exc.messages)}") from exc
        # Ours win over the caller's: the fence is pointless if a caller can lift it.
        kwargs["allow_redirects"] = False
        kwargs["stream"] = True
        kwargs["timeout"] = min(kwargs.get("timeout") or TIMEOUT_SECONDS, TIMEOUT_SECONDS)
        response = super().request(method, url, *args, **kwargs)
        body = read_capped(response)
        if response.is_redirect:
            # Not followed, and not to be read as the answer either.
            raise FetchRefused(f"{target} redirects elsewhere")
        if len(body) > MAX_BYTES:
            raise FetchRefused(f"{target} sent more than {MAX_BYTES} bytes")
        response._content = body
        return response


def guarded_session() -> requests.Session:
    return GuardedSession()
