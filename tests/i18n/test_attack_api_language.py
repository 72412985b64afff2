"""The REST API answers in English whatever the caller's Accept-Language: its headers must say
so too. A client or cache trusting ``Content-Language`` files an English body as French."""

from __future__ import annotations

import pytest

from tests.api.support import api_client
from tests.conftest import Tenant


@pytest.mark.parametrize("asked", ["fr", "de-DE,de;q=0.9", "es"])
def test_api_content_language_matches_its_english_body(alpha: Tenant, asked: str) -> None:
    client = api_client(alpha.organization)
    for path in ("/api/v1/participants/", "/api/v1/surveys/999999/"):
        response = client.get(path, HTTP_ACCEPT_LANGUAGE=asked)
        assert response.status_code in (200, 404), response.content
        # The body is English (mentorship.api.base forces it) ...
        if response.status_code == 404:
            assert response.json()["message"] == "No such resource."
        # ... so the header must not announce the browser's language.
        assert response.get("Content-Language", "en-gb").startswith("en"), (
            path,
            response["Content-Language"],
        )
