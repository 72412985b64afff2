"""Hostile input to the API answers with the API's JSON error shape (code and message), never a
server error nor Django's HTML error pages."""

from __future__ import annotations

import base64
from urllib.parse import quote

import pytest

from tests.api.support import api_client
from tests.conftest import Tenant

LISTS = [
    "/api/v1/audit-events/",
    "/api/v1/members/",
    "/api/v1/pairs/",
    "/api/v1/meetings/",
    "/api/v1/session-logs/",
    "/api/v1/surveys/",
]


def _cursor(raw: str) -> str:
    return quote(base64.b64encode(raw.encode()).decode())


@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize("position", ["abc", "2026-01-01", "1e3"])
def test_a_forged_cursor_position_is_a_json_error_not_a_server_error(
    alpha: Tenant, url: str, position: str
) -> None:
    # DRF's cursor is base64 of "o=<offset>&r=<reverse>&p=<position>": the position is used
    # in the query as it is, unchecked.
    client = api_client(alpha.organization)
    client.raise_request_exception = False
    response = client.get(f"{url}?cursor={_cursor('p=' + position)}")
    assert response.status_code in (400, 404), response.content[:200]
    assert response["Content-Type"] == "application/json"
    assert {"code", "message"} <= set(response.json())


def test_a_deeply_nested_json_body_is_a_json_400_not_a_server_error(alpha: Tenant) -> None:
    client = api_client(alpha.organization, write=True)
    client.raise_request_exception = False
    bomb = '{"email": ' + "[" * 5000 + "]" * 5000 + ', "role": "participant"}'
    response = client.generic("POST", "/api/v1/invitations/", bomb, content_type="application/json")
    assert response.status_code == 400, response.content[:200]
    assert response.json()["code"] in ("parse_error", "invalid")


def test_an_oversized_body_with_an_idempotency_key_is_refused_as_json(alpha: Tenant) -> None:
    # Past DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB): the idempotency fingerprint reads
    # request.body, which raises RequestDataTooBig; Django then answers its HTML 400 page.
    client = api_client(alpha.organization, write=True)
    client.raise_request_exception = False
    body = '{"email": "a@example.com", "role": "participant", "pad": "' + "x" * 3_000_000 + '"}'
    response = client.generic(
        "POST",
        "/api/v1/invitations/",
        body,
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="big-1",
    )
    assert response.status_code in (400, 413)
    assert response["Content-Type"] == "application/json", response.content[:120]
    assert {"code", "message"} <= set(response.json())
