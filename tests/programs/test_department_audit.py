"""A participant's department change is audited (issue 12): rearranging departments before a
survey is how a targeted subtraction would be set up, so every move is on the record."""

from __future__ import annotations

from mentorship.models import AuditEvent
from programs.models import Program
from programs.services.imports import participants_import_from_text
from tests.conftest import Tenant
from tests.programs.conftest import add_person

HEADER = "email,first_name,last_name,side,department\n"


def events(alpha: Tenant) -> list[str]:
    with alpha.scope():
        return list(
            AuditEvent.objects.filter(action=AuditEvent.Action.DEPARTMENT_CHANGED)
            .order_by("id")
            .values_list("summary", flat=True)
        )


def test_an_hr_admin_moving_someone_is_in_the_audit_log(
    alpha: Tenant, program: Program, client_for
) -> None:
    with alpha.scope():
        person = add_person(program, "jo@example.com", department="Ops", level=2)
    client = client_for(alpha.hr)
    edit = f"/o/alpha/programs/{program.slug}/participants/{person.pk}/edit/"
    form = {
        "first_name": "Jo",
        "last_name": "Test",
        "side": "junior",
        "department": "Legal",
        "level": 2,
        "timezone": "UTC",
    }
    assert client.post(edit, form).status_code == 302
    assert events(alpha) == [f"Jo Test in {program.name}: department Ops → Legal"]
    with alpha.scope():
        event = AuditEvent.objects.get(action=AuditEvent.Action.DEPARTMENT_CHANGED)
    assert event.actor == alpha.hr
    page = client.get("/o/alpha/audit/").content.decode()
    assert "department Ops → Legal" in page
    # Saving again without a move writes nothing more.
    assert client.post(edit, form).status_code == 302
    assert len(events(alpha)) == 1


def test_an_import_that_moves_people_audits_each_move_and_nothing_else(
    alpha: Tenant, program: Program
) -> None:
    with alpha.scope():
        first = participants_import_from_text(
            program=program,
            text=HEADER + "a@example.com,Ann,A,junior,Ops\nb@example.com,Bob,B,senior,Ops\n",
            invited_by=alpha.hr,
            dry_run=False,
        )
        assert first.summary is not None
        assert events(alpha) == []  # new people have no department to move from
        participants_import_from_text(
            program=program,
            text=HEADER + "a@example.com,Ann,A,junior,Sales\nb@example.com,Bob,B,senior,Ops\n",
            invited_by=alpha.hr,
            dry_run=False,
        )
    assert events(alpha) == [f"Ann A in {program.name}: department Ops → Sales"]


def test_coming_back_on_an_old_row_with_another_department_is_audited(
    alpha: Tenant, program: Program
) -> None:
    """Found in review: HR adding back someone who withdrew, and a member applying again, both
    reuse the old row; a new department there was moved without a trace."""
    from mentorship.models import Role
    from programs.services import participants as participant_services

    with alpha.scope():
        Program.objects.filter(pk=program.pk).update(status=Program.Status.ENROLLING)
        program.refresh_from_db()
        person = add_person(program, "x@example.com", department="Legal")
        participant_services.participant_withdraw(participant=person)
        add_person(program, "x@example.com", department="Sales")
        member = alpha.members[Role.PARTICIPANT]
        applied = participant_services.participant_apply(
            program=program, membership=member, side="junior", department="Legal", level=1
        )
        participant_services.participant_withdraw(participant=applied)
        participant_services.participant_apply(
            program=program, membership=member, side="junior", department="Ops", level=1
        )
    moves = events(alpha)
    assert len(moves) == 2
    assert moves[0].endswith("department Legal → Sales")
    assert moves[1].endswith("department Legal → Ops")
