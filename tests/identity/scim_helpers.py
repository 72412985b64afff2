"""Helpers of the SCIM tests: a token of an organisation, and a client that sends it."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from mentorship.identity.tokens import scim_token_create
from mentorship.models import Organization
from mentorship.tenancy import tenant_scope

BASE = "/scim/v2"
CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"


def token_for(organization: Organization, name: str = "IdP") -> str:
    with tenant_scope(organization):
        return scim_token_create(organization=organization, name=name, actor=None)[1]


class Scim:
    """A SCIM client of one organisation's endpoint (Django's test client underneath)."""

    def __init__(self, token: str | None) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def request(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        kwargs: dict[str, Any] = {"headers": self.headers}
        if body is not None:
            kwargs["data"] = body if isinstance(body, (str, bytes)) else json.dumps(body)
            kwargs["content_type"] = "application/scim+json"
        url = BASE + path
        if method == "get":
            return self.client.get(url, params, headers=self.headers)
        return getattr(self.client, method)(url, **kwargs)

    def get(self, path: str, **params: Any) -> Any:
        return self.request("get", path, **params)

    def post(self, path: str, body: Any) -> Any:
        return self.request("post", path, body)

    def put(self, path: str, body: Any) -> Any:
        return self.request("put", path, body)

    def patch(self, path: str, *operations: dict[str, Any]) -> Any:
        return self.request("patch", path, {"schemas": [PATCH], "Operations": list(operations)})

    def delete(self, path: str) -> Any:
        return self.request("delete", path)


def user_body(user_name: str, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "schemas": [CORE, ENTERPRISE],
        "userName": user_name,
        "name": {"givenName": "Ada", "familyName": "Lovelace"},
        "emails": [{"value": user_name, "type": "work", "primary": True}],
        "active": True,
    }
    body.update(extra)
    return body
