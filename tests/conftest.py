"""Shared fixtures: two organisations, each with a user in every role.

``alpha`` is the viewer's organisation, ``beta`` the other tenant whose data must never show.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from django.test import Client

from mentorship.middleware import ORGANIZATIONS_ENTERED_SESSION_KEY
from mentorship.models import Membership, Organization, Role, User
from mentorship.tenancy import across_all_organizations, tenant_scope
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory

PASSWORD = "correct horse battery staple"


def totp_code(secret: str, min_left: float = 5.0) -> str:
    """The code an authenticator app shows for ``secret`` now (RFC 6238: 30-second steps, six
    digits, SHA-1), computed independently of allauth so that the tests check the two agree.
    Waits for the next step when fewer than ``min_left`` seconds of this one remain, so the code
    is still valid when it is typed."""
    left = 30 - time.time() % 30
    if left < min_left:
        time.sleep(left + 0.05)
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", int(time.time() // 30)), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{number % 1_000_000:06d}"


@dataclass
class Tenant:
    organization: Organization
    members: dict[Role, Membership] = field(default_factory=dict)

    def user(self, role: Role) -> User:
        return self.members[role].user

    @property
    def hr(self) -> User:
        return self.user(Role.HR_ADMIN)

    @property
    def sponsor(self) -> User:
        return self.user(Role.SPONSOR)

    @property
    def participant(self) -> User:
        return self.user(Role.PARTICIPANT)

    def scope(self) -> object:
        return tenant_scope(self.organization)


def make_tenant(slug: str) -> Tenant:
    organization = OrganizationFactory(slug=slug, name=slug.capitalize())
    tenant = Tenant(organization=organization)
    for role, flag in (
        (Role.HR_ADMIN, "is_hr_admin"),
        (Role.SPONSOR, "is_sponsor"),
        (Role.PARTICIPANT, "is_participant"),
    ):
        user = UserFactory(email=f"{role.value.replace('_', '-')}@{slug}.test")
        tenant.members[role] = MembershipFactory(
            organization=organization, user=user, **{flag: True}
        )
    return tenant


@pytest.fixture
def alpha(db: None) -> Tenant:
    return make_tenant("alpha")


@pytest.fixture
def beta(db: None) -> Tenant:
    return make_tenant("beta")


@pytest.fixture
def client_for() -> Iterator[object]:
    """``client_for(user)`` gives a test client signed in as ``user``, already inside the
    organisations the user belongs to: the first page of an organisation a session opens also
    records the entry in its audit log (tests/mentorship/test_sign_ins.py signs in through the
    form to test that), and the pinned query counts are those of every page after it."""

    def make(user: User) -> Client:
        client = Client()
        client.force_login(user)
        session = client.session
        with across_all_organizations():
            session[ORGANIZATIONS_ENTERED_SESSION_KEY] = list(
                user.memberships.values_list("organization_id", flat=True)
            )
        session.save()
        return client

    yield make


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    from django.core.cache import cache

    cache.clear()
    yield
