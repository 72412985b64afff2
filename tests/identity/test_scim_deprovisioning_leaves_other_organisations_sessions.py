"""The attack these tests refuse (each failed before its fix):

Deprovisioning by A's directory ends *every* session of the account, the
ones used for organisation B included. A person in both (a consultant whose address is in A's
claimed domain, who is B's HR admin) is thrown out of B whenever A's IdP says so, and A's token
can do it again and again (deactivate, re-activate, deactivate): A's directory acts on B."""

from __future__ import annotations

from allauth.usersessions.models import UserSession
from django.test import override_settings

from tests.conftest import Tenant
from tests.factories import MembershipFactory, UserFactory
from tests.identity.scim_helpers import Scim, token_for, user_body
from tests.identity.sso_support import claim


@override_settings(USERSESSIONS_TRACK_ACTIVITY=True)
def test_a_s_directory_does_not_sign_a_person_out_of_b(
    alpha: Tenant, beta: Tenant, client_for, django_capture_on_commit_callbacks
) -> None:
    with alpha.scope():
        claim(alpha.organization, "alphacorp.com")
    person = UserFactory(email="kim@alphacorp.com")
    MembershipFactory(organization=beta.organization, user=person, is_hr_admin=True)
    # A member of alpha too (a directory never takes in an account that works only elsewhere).
    MembershipFactory(organization=alpha.organization, user=person, is_participant=True)
    in_beta = client_for(person)
    assert in_beta.get("/o/beta/").status_code == 200
    assert UserSession.objects.filter(user=person).exists()

    scim = Scim(token_for(alpha.organization))
    created = scim.post("/Users", user_body("kim@alphacorp.com"))
    assert created.status_code == 201, created.content
    with django_capture_on_commit_callbacks(execute=True):
        scim.patch(
            f"/Users/{created.json()['id']}",
            {"op": "replace", "path": "active", "value": False},
        )
    # B's session is B's business.
    assert in_beta.get("/o/beta/").status_code == 200, "A's directory signed the person out of B"
