"""The SCIM wire protocol: discovery documents, error bodies with the right status for bad
input (never a 500), and list pages whose cost does not grow with their rows."""

from __future__ import annotations

import pytest

from mentorship.identity.scim.resources import ENTERPRISE_URN, GROUP_URN, USER_URN
from tests.conftest import Tenant
from tests.identity.scim_helpers import PATCH, Scim, token_for, user_body

ERROR_URN = "urn:ietf:params:scim:api:messages:2.0:Error"


@pytest.fixture
def scim(alpha: Tenant) -> Scim:
    return Scim(token_for(alpha.organization))


def test_service_provider_config_says_what_is_supported(scim: Scim) -> None:
    body = scim.get("/ServiceProviderConfig").json()
    assert body["patch"] == {"supported": True}
    assert body["filter"] == {"supported": True, "maxResults": 200}
    assert body["bulk"]["supported"] is False
    assert body["sort"] == {"supported": False}
    assert body["etag"] == {"supported": False}
    assert body["changePassword"] == {"supported": False}
    assert body["authenticationSchemes"][0]["type"] == "oauthbearertoken"


def test_resource_types_and_schemas_are_published(scim: Scim) -> None:
    types = scim.get("/ResourceTypes").json()
    assert {t["id"] for t in types["Resources"]} == {"User", "Group"}
    user = scim.get("/ResourceTypes/User").json()
    assert user["endpoint"] == "/Users"
    assert user["schemaExtensions"] == [{"schema": ENTERPRISE_URN, "required": False}]
    schemas = scim.get("/Schemas").json()
    assert {s["id"] for s in schemas["Resources"]} == {USER_URN, ENTERPRISE_URN, GROUP_URN}
    user_schema = scim.get(f"/Schemas/{USER_URN}").json()
    emails = next(a for a in user_schema["attributes"] if a["name"] == "emails")
    assert emails["required"] is True  # an account is made for an address
    assert scim.get("/Schemas/urn:nothing").status_code == 404
    assert scim.get("/ResourceTypes/Pet").status_code == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/ServiceProviderConfig"),
        ("delete", "/Schemas"),
        ("put", "/ResourceTypes"),
        ("patch", "/Users"),
        ("post", "/Users/00000000-0000-0000-0000-000000000000"),
        ("get", "/.search"),
    ],
)
def test_unsupported_methods_are_405_with_a_scim_body(scim: Scim, method: str, path: str) -> None:
    response = scim.request(method, path, {} if method != "get" else None)
    assert response.status_code == 405
    assert response.json()["schemas"] == [ERROR_URN]
    assert response["Allow"]


def test_unknown_routes_are_a_scim_404(scim: Scim) -> None:
    response = scim.get("/Pets/1")
    assert response.status_code == 404
    assert response.json() == {
        "schemas": [ERROR_URN],
        "status": "404",
        "detail": "No such resource.",
    }


@pytest.mark.parametrize(
    ("body", "scim_type"),
    [
        ("{not json", "invalidSyntax"),
        (b"\xff\xfe", "invalidSyntax"),
        ("[]", "invalidSyntax"),
        ('"a string"', "invalidSyntax"),
        ({"schemas": [USER_URN], "userName": 5}, "invalidValue"),
        ({"schemas": [USER_URN], "userName": "a@example.com", "emails": "x"}, "invalidValue"),
        ({"schemas": [USER_URN], "userName": "a@example.com", "active": "perhaps"}, "invalidValue"),
        ({"schemas": [USER_URN]}, None),  # userName missing
        ({"schemas": ["urn:evil"], "userName": "a@example.com"}, None),
        (user_body("a@example.com", userName="x" * 300 + "@example.com"), "invalidValue"),
        (user_body("a@example.com", externalId="x" * 300), "invalidValue"),
    ],
)
def test_hostile_creation_bodies_are_400(scim: Scim, body: object, scim_type: str | None) -> None:
    response = scim.post("/Users", body)
    assert response.status_code == 400, response.content
    assert response.json()["schemas"] == [ERROR_URN]
    if scim_type:
        assert response.json()["scimType"] == scim_type


@pytest.mark.parametrize(
    "operations",
    [
        [],
        [{"op": "explode", "path": "active", "value": True}],
        [{"op": "remove"}],
        [{"op": "replace", "path": "nonsense[[", "value": 1}],
        [{"op": "replace", "path": "active", "value": {"deep": [1, 2]}}],
        [{"op": "replace", "path": "id", "value": "mine"}],
        [{"op": "replace", "path": "userName", "value": None}],
        [{"op": "add", "path": "unknownThing", "value": "x"}],
    ],
)
def test_hostile_patches_are_refused_without_a_500(scim: Scim, operations: list) -> None:
    ada = scim.post("/Users", user_body("ada@example.com")).json()
    response = scim.request(
        "patch", f"/Users/{ada['id']}", {"schemas": [PATCH], "Operations": operations}
    )
    assert 400 <= response.status_code < 500, response.content
    assert response.json()["schemas"] == [ERROR_URN]
    assert scim.get(f"/Users/{ada['id']}").json()["userName"] == "ada@example.com"


def test_text_with_nul_characters_and_absurd_pages_are_refused_or_empty(scim: Scim) -> None:
    nul = scim.post("/Users", user_body("ada@example.com", externalId="a\u0000b"))
    assert nul.status_code == 400 and nul.json()["scimType"] == "invalidValue"
    assert scim.get("/Users", filter='userName eq "a\u0000b"').status_code == 400
    assert scim.get("/Users", filter='userName eq "a\x00b"').status_code == 400
    far = scim.get("/Users", startIndex=10**30, count=10**30).json()
    assert far["Resources"] == [] and far["itemsPerPage"] == 0
    deep = "[" * 100_000 + "]" * 100_000
    assert scim.post("/Users", deep).status_code == 400


def test_a_too_large_body_is_refused(scim: Scim, settings: object) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000  # type: ignore[attr-defined]
    response = scim.post("/Users", user_body("ada@example.com", title="x" * 2000))
    assert response.status_code == 413
    assert response.json()["status"] == "413"


@pytest.mark.parametrize("size", [5, 50])
def test_the_users_page_costs_the_same_at_any_size(
    scim: Scim, size: int, django_assert_max_num_queries
) -> None:
    users = [f"u{n}@example.com" for n in range(size)]
    for n, email in enumerate(users):
        response = scim.post("/Users", user_body(email))
        if n % 2 == 0:
            group = {"schemas": [GROUP_URN], "displayName": f"G{n}"}
            group["members"] = [{"value": response.json()["id"]}]
            scim.post("/Groups", group)
    # The token (1), the count (1), the page (1), the users' groups (1); the token's
    # last use is written at most once a minute, so a 5th query may appear: allowed.
    with django_assert_max_num_queries(5):
        body = scim.get("/Users", count=100).json()
    assert body["itemsPerPage"] == size
    groups_listed = sum(1 for r in body["Resources"] if r.get("groups"))
    assert groups_listed == (size + 1) // 2


@pytest.mark.django_db(transaction=True)
def test_writes_work_outside_a_test_transaction(alpha: Tenant) -> None:
    """As in production (no request-wide transaction): the locked reads of PUT, PATCH and
    DELETE run inside the view's own transaction (PostgreSQL refuses them otherwise)."""
    scim = Scim(token_for(alpha.organization))
    ada = scim.post("/Users", user_body("ada@example.com")).json()
    patched = scim.patch(f"/Users/{ada['id']}", {"op": "replace", "path": "title", "value": "X"})
    assert patched.status_code == 200
    assert scim.put(f"/Users/{ada['id']}", user_body("ada@example.com")).status_code == 200
    assert scim.delete(f"/Users/{ada['id']}").status_code == 204
