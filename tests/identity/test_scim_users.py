"""SCIM users: an identity provider creates, finds, changes and deletes the people of its
organisation, and what it says of them reaches the participant records matching reads."""

from __future__ import annotations

import pytest

from mentorship.identity.models import DirectoryProfile, ScimUser
from mentorship.models import AuditEvent, Membership, Role, User
from programs.models import Participant
from tests.conftest import Tenant
from tests.factories import ParticipantFactory, ProgramFactory
from tests.identity.scim_helpers import ENTERPRISE, Scim, token_for, user_body


@pytest.fixture
def scim(alpha: Tenant) -> Scim:
    return Scim(token_for(alpha.organization))


def _membership(email: str, tenant: Tenant) -> Membership:
    with tenant.scope():
        return Membership.objects.select_related("user").get(user__email=email)


def test_creating_a_user_makes_a_participant_member_with_an_account(
    alpha: Tenant, scim: Scim
) -> None:
    response = scim.post("/Users", user_body("ada@example.com", externalId="00u1"))
    assert response.status_code == 201
    assert response["Content-Type"] == "application/scim+json"
    body = response.json()
    assert body["userName"] == "ada@example.com"
    assert body["externalId"] == "00u1"
    assert body["active"] is True
    assert body["meta"]["resourceType"] == "User"
    assert body["meta"]["location"] == f"http://testserver/scim/v2/Users/{body['id']}"
    assert response["Location"] == body["meta"]["location"]
    assert body["meta"]["created"] and body["meta"]["lastModified"]
    membership = _membership("ada@example.com", alpha)
    assert membership.roles == [Role.PARTICIPANT] and membership.is_active
    assert membership.user.first_name == "Ada"
    assert not membership.user.has_usable_password()
    with alpha.scope():
        assert AuditEvent.objects.filter(action=AuditEvent.Action.MEMBER_PROVISIONED).exists()
    # It reads back the same.
    again = scim.get(f"/Users/{body['id']}").json()
    assert again["emails"] == [{"value": "ada@example.com", "type": "work", "primary": True}]


def test_a_user_name_that_is_an_address_stands_in_for_missing_emails(
    alpha: Tenant, scim: Scim
) -> None:
    body = user_body("grace@example.com")
    del body["emails"]
    assert scim.post("/Users", body).status_code == 201
    assert _membership("grace@example.com", alpha).is_active


def test_a_user_without_any_address_is_refused(scim: Scim) -> None:
    body = user_body("not-an-address")
    del body["emails"]
    response = scim.post("/Users", body)
    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidValue"
    assert not User.objects.filter(email__icontains="not-an-address").exists()


def test_duplicate_user_name_or_external_id_is_a_uniqueness_conflict(scim: Scim) -> None:
    assert scim.post("/Users", user_body("ada@example.com", externalId="e1")).status_code == 201
    same_name = scim.post("/Users", user_body("ADA@example.com"))
    assert same_name.status_code == 409
    assert same_name.json()["scimType"] == "uniqueness"
    assert same_name.json()["status"] == "409"
    other = user_body("other@example.com", externalId="e1")
    assert scim.post("/Users", other).json()["scimType"] == "uniqueness"


def test_the_same_person_in_another_organisation_is_a_separate_membership(
    alpha: Tenant, beta: Tenant, scim: Scim
) -> None:
    assert scim.post("/Users", user_body("ada@example.com")).status_code == 201
    beta_scim = Scim(token_for(beta.organization))
    # The account works with alpha: beta's directory cannot take it in on its own ...
    assert beta_scim.post("/Users", user_body("ada@example.com")).status_code == 409
    # ... but once Ada accepted beta's invitation, it provisions her membership there.
    with beta.scope():
        Membership.objects.create(
            organization=beta.organization,
            user=User.objects.get(email="ada@example.com"),
            is_participant=True,
        )
    in_beta = beta_scim.post("/Users", user_body("ada@example.com"))
    assert in_beta.status_code == 201
    assert User.objects.filter(email="ada@example.com").count() == 1
    assert _membership("ada@example.com", alpha).pk != _membership("ada@example.com", beta).pk


def test_a_directory_cannot_pull_someone_elses_account_into_its_organisation(
    alpha: Tenant, beta: Tenant
) -> None:
    """beta's own member, in a domain alpha did not claim: alpha's directory is refused, and
    the person gets no membership of alpha (alpha invites them instead)."""
    outsider = "carol@example.org"
    with beta.scope():
        Membership.objects.create(
            organization=beta.organization,
            user=User.objects.create_user(email=outsider),
            is_participant=True,
        )
    response = Scim(token_for(alpha.organization)).post("/Users", user_body(outsider))
    assert response.status_code == 409
    assert response.json()["scimType"] == "uniqueness"
    assert "invite this person instead" in response.json()["detail"]
    with alpha.scope():
        assert not Membership.objects.filter(user__email=outsider).exists()
        assert not ScimUser.objects.exists()


def test_filters_find_users_by_user_name_external_id_and_email(scim: Scim) -> None:
    ada = scim.post("/Users", user_body("ada@example.com", externalId="e-ada")).json()
    scim.post("/Users", user_body("bob@example.com", externalId="e-bob"))
    for expression in (
        'userName eq "ADA@example.com"',
        'externalId eq "e-ada"',
        'emails.value eq "ada@example.com"',
        'emails[type eq "work"].value eq "ada@example.com"',
        f'id eq "{ada["id"]}"',
    ):
        body = scim.get("/Users", filter=expression).json()
        assert body["totalResults"] == 1, expression
        assert body["Resources"][0]["id"] == ada["id"]
    assert scim.get("/Users", filter='userName eq "nobody"').json()["totalResults"] == 0
    both = scim.get("/Users", filter='userName eq "ada@example.com" or externalId eq "e-bob"')
    assert both.json()["totalResults"] == 2


@pytest.mark.parametrize(
    "expression",
    [
        'userName eq "a" or 1 eq 1',
        'userName co "a"',
        "title pr",
        'userName eq "a"; DROP TABLE x',
        'name.givenName eq "Ada"',
        "nonsense",
    ],
)
def test_unsupported_or_malformed_filters_are_refused(scim: Scim, expression: str) -> None:
    response = scim.get("/Users", filter=expression)
    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidFilter"


def test_pages_are_one_based_and_capped(scim: Scim) -> None:
    for n in range(5):
        scim.post("/Users", user_body(f"p{n}@example.com"))
    page = scim.get("/Users", startIndex=2, count=2).json()
    assert page["totalResults"] == 8 - 3  # five made here
    assert page["startIndex"] == 2 and page["itemsPerPage"] == 2
    assert [r["userName"] for r in page["Resources"]] == ["p1@example.com", "p2@example.com"]
    huge = scim.get("/Users", count=10**30).json()
    assert huge["itemsPerPage"] == 5
    assert scim.get("/Users", count=0).json()["Resources"] == []
    assert scim.get("/Users", startIndex=-4).json()["startIndex"] == 1
    assert scim.get("/Users", count="many").status_code == 400


def test_attributes_and_excluded_attributes_shape_the_answer(scim: Scim) -> None:
    ada = scim.post("/Users", user_body("ada@example.com")).json()
    only = scim.get(f"/Users/{ada['id']}", attributes="userName").json()
    assert "userName" in only and "emails" not in only and only["id"] == ada["id"]
    without = scim.get(f"/Users/{ada['id']}", excludedAttributes="emails").json()
    assert "emails" not in without and "userName" in without


def test_put_replaces_the_user(alpha: Tenant, scim: Scim) -> None:
    ada = scim.post("/Users", user_body("ada@example.com", title="Engineer")).json()
    replaced = user_body("ada.l@example.com", externalId="new")
    response = scim.put(f"/Users/{ada['id']}", replaced)
    assert response.status_code == 200
    body = response.json()
    assert body["userName"] == "ada.l@example.com" and body["externalId"] == "new"
    assert "title" not in body
    assert body["meta"]["created"] == ada["meta"]["created"]
    with alpha.scope():
        profile = DirectoryProfile.objects.get(membership__user__email="ada@example.com")
    assert profile.title == ""


def test_unknown_attributes_are_refused_not_ignored(scim: Scim) -> None:
    response = scim.post("/Users", user_body("ada@example.com", favouriteColour="blue"))
    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidSyntax"


def test_okta_sequence_creates_then_deactivates(alpha: Tenant, scim: Scim) -> None:
    """Okta: look the person up, create them, later deactivate with a path-less replace."""
    looked_up = scim.get("/Users", filter='userName eq "okta.user@example.com"', count=100)
    assert looked_up.json() == {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": 0,
        "startIndex": 1,
        "itemsPerPage": 0,
        "Resources": [],
    }
    created = scim.post(
        "/Users",
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "okta.user@example.com",
            "name": {"givenName": "Okta", "familyName": "User"},
            "emails": [{"primary": True, "value": "okta.user@example.com", "type": "work"}],
            "displayName": "Okta User",
            "locale": "en-US",
            "externalId": "00ujl29u0le5T6Aj10h7",
            "groups": [],
            "password": "1mz050nq",
            "active": True,
        },
    )
    assert created.status_code == 201
    assert "password" not in created.json()
    user_id = created.json()["id"]
    with alpha.scope():
        assert "password" not in ScimUser.objects.get().resource
    deactivated = scim.patch(f"/Users/{user_id}", {"op": "replace", "value": {"active": False}})
    assert deactivated.status_code == 200
    assert deactivated.json()["active"] is False
    assert not _membership("okta.user@example.com", alpha).is_active


def test_entra_sequence_with_paths_enterprise_attributes_and_string_booleans(
    alpha: Tenant, scim: Scim
) -> None:
    """Entra ID: look up by externalId, create, PATCH with paths (enterprise department,
    manager as {"value": id}), then deactivate with "False" as a string."""
    boss = scim.post("/Users", user_body("boss@example.com", externalId="boss-oid")).json()
    assert scim.get("/Users", filter='externalId eq "emp-oid"').json()["totalResults"] == 0
    created = scim.post(
        "/Users",
        {
            "schemas": [
                "urn:ietf:params:scim:schemas:core:2.0:User",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
            ],
            "externalId": "emp-oid",
            "userName": "emp@example.com",
            "active": True,
            "emails": [{"primary": True, "type": "work", "value": "emp@example.com"}],
            "meta": {"resourceType": "User"},
            "name": {"formatted": "Emp Loyee", "familyName": "Loyee", "givenName": "Emp"},
            "roles": [],
        },
    )
    assert created.status_code == 201
    user_id = created.json()["id"]
    patched = scim.patch(
        f"/Users/{user_id}",
        {"op": "Add", "path": "title", "value": "Analyst"},
        {"op": "Replace", "path": f"{ENTERPRISE}:department", "value": "Finance"},
        {"op": "Add", "path": f"{ENTERPRISE}:manager", "value": {"value": boss["id"]}},
        {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "emp@example.com"},
    )
    assert patched.status_code == 200, patched.content
    extension = patched.json()[ENTERPRISE]
    assert extension == {"department": "Finance", "manager": {"value": boss["id"]}}
    with alpha.scope():
        profile = DirectoryProfile.objects.get(membership__user__email="emp@example.com")
    assert (profile.department, profile.title, profile.manager_email) == (
        "Finance",
        "Analyst",
        "boss@example.com",
    )
    off = scim.patch(f"/Users/{user_id}", {"op": "Replace", "path": "active", "value": "False"})
    assert off.status_code == 200 and off.json()["active"] is False
    assert not _membership("emp@example.com", alpha).is_active


def test_an_unknown_manager_is_kept_as_sent_and_an_address_is_used(
    alpha: Tenant, scim: Scim
) -> None:
    body = user_body("ada@example.com")
    body[ENTERPRISE] = {"manager": {"value": "not-one-of-ours"}}
    ada = scim.post("/Users", body).json()
    assert ada[ENTERPRISE]["manager"] == {"value": "not-one-of-ours"}
    scim.patch(
        f"/Users/{ada['id']}",
        {"op": "replace", "path": f"{ENTERPRISE}:manager.value", "value": "Chief@Example.com"},
    )
    with alpha.scope():
        profile = DirectoryProfile.objects.get(membership__user__email="ada@example.com")
    assert profile.manager_email == "chief@example.com"


def test_department_title_and_manager_flow_into_the_participant_records(
    alpha: Tenant, scim: Scim
) -> None:
    """Matching reads the participant rows: what the directory says lands there."""
    boss = scim.post("/Users", user_body("boss@example.com")).json()
    with alpha.scope():
        program = ProgramFactory(organization=alpha.organization, status="enrolling")
    ParticipantFactory(program=program, email="ada@example.com", department="Old")
    body = user_body("ada@example.com", title="Engineer")
    body[ENTERPRISE] = {"department": "Research", "manager": {"value": boss["id"]}}
    ada = scim.post("/Users", body).json()
    with alpha.scope():
        participant = Participant.objects.get(email="ada@example.com")
    assert participant.membership is not None
    assert (participant.department, participant.title, participant.manager_email) == (
        "Research",
        "Engineer",
        "boss@example.com",
    )
    scim.patch(
        f"/Users/{ada['id']}",
        {"op": "replace", "value": {f"{ENTERPRISE}:department": "Sales"}},
    )
    with alpha.scope():
        participant.refresh_from_db()
        assert participant.department == "Sales"
        assert AuditEvent.objects.filter(action=AuditEvent.Action.DEPARTMENT_CHANGED).exists()


def test_a_changed_address_does_not_move_the_membership_to_another_account(
    alpha: Tenant, scim: Scim
) -> None:
    ada = scim.post("/Users", user_body("ada@example.com")).json()
    scim.patch(
        f"/Users/{ada['id']}",
        {"op": "replace", "path": "emails", "value": [{"value": "attacker@example.com"}]},
    )
    assert _membership("ada@example.com", alpha).is_active
    assert not User.objects.filter(email="attacker@example.com").exists()


def test_deleting_a_user_forgets_it_and_ends_the_membership(alpha: Tenant, scim: Scim) -> None:
    ada = scim.post("/Users", user_body("ada@example.com")).json()
    assert scim.delete(f"/Users/{ada['id']}").status_code == 204
    assert scim.get(f"/Users/{ada['id']}").status_code == 404
    assert scim.delete(f"/Users/{ada['id']}").status_code == 404
    membership = _membership("ada@example.com", alpha)
    assert not membership.is_active  # the row, and its history, stay
    # The directory may provision the person again.
    assert scim.post("/Users", user_body("ada@example.com")).status_code == 201
    assert _membership("ada@example.com", alpha).roles == [Role.PARTICIPANT]


def test_missing_ids_and_malformed_ids_are_404(scim: Scim) -> None:
    for path in ("/Users/00000000-0000-0000-0000-000000000000", "/Users/1", "/Users/%27--"):
        response = scim.get(path)
        assert response.status_code == 404
        assert response.json()["status"] == "404"
