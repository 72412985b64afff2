"""Fixtures of the pairings tests: a program in the matching state with people to pair."""

from __future__ import annotations

import pytest

from mentorship.models import Role
from pairings.models import Pairing
from programs.models import Program
from programs.services import participants as participant_services
from programs.services import programs as program_services
from programs.services import topics as topic_services
from tests.conftest import Tenant
from tests.factories import MembershipFactory, PairingFactory


@pytest.fixture
def matching_program(alpha: Tenant) -> Program:
    """Two juniors and two seniors; alpha's participant is junior j1, another member senior s1."""
    senior_member = MembershipFactory(organization=alpha.organization, is_participant=True)
    with alpha.scope():
        program = program_services.program_create(
            organization=alpha.organization, name="Pairs", min_level_gap=2
        )
        Program.objects.filter(pk=program.pk).update(status=Program.Status.MATCHING)
        program.refresh_from_db()
        ai, social = topic_services.topics_get_or_create(
            organization=alpha.organization, names=["AI", "Social"]
        )
        add = participant_services.participant_add
        add(
            program=program,
            email=alpha.members[Role.PARTICIPANT].user.email,
            invited_by=None,
            first_name="J",
            last_name="One",
            side="junior",
            level=1,
            offers=[ai],
            department="Sales",
        )
        add(
            program=program,
            email="j2@example.com",
            invited_by=None,
            first_name="J",
            last_name="Two",
            side="junior",
            level=1,
            offers=[social],
            department="Tech",
        )
        add(
            program=program,
            email=senior_member.user.email,
            invited_by=None,
            first_name="S",
            last_name="One",
            side="senior",
            level=8,
            wants=[ai],
            department="Tech",
        )
        add(
            program=program,
            email="s2@example.com",
            invited_by=None,
            first_name="S",
            last_name="Two",
            side="senior",
            level=8,
            wants=[social],
            department="Sales",
        )
    program.senior_member = senior_member  # type: ignore[attr-defined]
    return program


def active_pair(alpha: Tenant, program: Program) -> Pairing:
    """An active pair in ``matching_program``: alpha's participant (junior j1) mentors the
    other member (senior s1)."""
    with alpha.scope():
        people = {p.email: p for p in program.participants.all()}
        return PairingFactory(
            program=program,
            mentor=people[alpha.participant.email],
            mentee=people[program.senior_member.user.email],
            status=Pairing.Status.ACTIVE,
        )
