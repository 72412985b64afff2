"""A participants CSV's availability cell: weekly hours where it parses, the note otherwise.
It only fills what a participant left empty: hours and notes people set themselves are never
imported over, a note is never emptied, and an empty cell changes nothing."""

from __future__ import annotations

import pytest

from programs.csv_parser import parse_participants_csv
from programs.models import Participant
from programs.services.imports import participants_import
from tests.conftest import Tenant
from tests.factories import ParticipantFactory, ProgramFactory

pytestmark = pytest.mark.django_db

HEADER = "email,first_name,last_name,side,availability\n"


def test_the_availability_cell_is_imported(alpha: Tenant) -> None:
    program = ProgramFactory(organization=alpha.organization)
    kept = ParticipantFactory(
        program=program,
        email="kept@x.test",
        first_name="K",
        last_name="K",
        side="senior",
        status=Participant.Status.APPROVED,
        weekly_availability=[[4, "10:00", "11:00"]],
        availability="own note",
    )
    rows = parse_participants_csv(
        HEADER
        + "a@x.test,A,A,junior,Tue/Thu mornings\n"
        + "b@x.test,B,B,senior,not in August\n"
        + "kept@x.test,K,K,senior,\n"
    ).rows
    with alpha.scope():
        summary = participants_import(program=program, rows=rows, invited_by=None)
        got = {
            p.email: (p.weekly_availability, p.availability)
            for p in Participant.objects.filter(program=program)
        }
    assert got["a@x.test"] == ([[1, "09:00", "12:00"], [3, "09:00", "12:00"]], "")
    assert got["b@x.test"] == ([], "not in August")
    assert got[kept.email] == ([[4, "10:00", "11:00"]], "own note")
    assert (summary.created, summary.unchanged) == (2, 1)

    again = parse_participants_csv(
        HEADER + "kept@x.test,K,K,senior,Mon 14:00-17:00\nb@x.test,B,B,senior,Wed mornings\n"
    ).rows
    with alpha.scope():
        summary = participants_import(program=program, rows=again, invited_by=None)
        got = {
            p.email: (p.weekly_availability, p.availability)
            for p in Participant.objects.filter(program=program)
        }
    # The hours K set are not imported over; B had none, so the cell fills them, and B's note
    # stays.
    assert (summary.updated, summary.unchanged) == (1, 1)
    assert got[kept.email] == ([[4, "10:00", "11:00"]], "own note")
    assert got["b@x.test"] == ([[2, "09:00", "12:00"]], "not in August")
