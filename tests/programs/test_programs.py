"""Programs: the template, settings, copies, archive, lifecycle guards, export and import."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.core.exceptions import ValidationError

from mentorship.models import Role
from programs import signals
from programs.models import Participant, Program, Topic
from programs.services import programs as program_services
from tests.conftest import Tenant
from tests.factories import MembershipFactory
from tests.programs.conftest import add_person, url


def test_the_template_fills_every_setting(alpha: Tenant, client_for) -> None:
    response = client_for(alpha.hr).post("/o/alpha/programs/new/", {"template": "digital-fluency"})
    with alpha.scope():
        program = Program.objects.get()
        assert response["Location"] == url(program, "edit/")
        assert program.name == "Reverse mentoring — digital fluency"
        assert program.status == Program.Status.DRAFT
        assert program.cadence_weeks == 2 and program.expected_sessions == 6
        assert program.exclude_reporting_line and program.training_required
        assert "No-fault exit" in program.agreement_text
        assert program.reminder_offsets_hours == [24, 1]
        assert {t.name for t in program.topics.all()} >= {
            "Social media",
            "AI tools",
            "Data literacy",
        }
        assert program.modules.count() == 3


def test_an_empty_program_needs_a_name(alpha: Tenant, client_for) -> None:
    response = client_for(alpha.hr).post("/o/alpha/programs/new/", {"template": "", "name": ""})
    assert "Give the program a name" in response.content.decode()


def test_settings_are_validated_with_clear_messages(alpha: Tenant, program, client_for) -> None:
    client = client_for(alpha.hr)
    page = client.get(url(program, "edit/")).content.decode()
    assert 'value="24, 1"' in page
    data = {
        "name": "Renamed",
        "start_date": "2027-03-01",
        "end_date": "2027-01-01",
        "cadence_weeks": 2,
        "expected_sessions": 6,
        "mentees_per_mentor": 1,
        "mentors_per_mentee": 2,
        "min_level_gap": 2,
        "reminder_offsets": "24, soon",
    }
    body = client.post(url(program, "edit/"), data).content.decode()
    assert "The end date must be after the start date." in body
    assert "Use whole numbers of hours" in body
    data.update(end_date="2027-09-01", reminder_offsets="1, 48")
    assert client.post(url(program, "edit/"), data).status_code == 302
    with alpha.scope():
        program.refresh_from_db()
    assert program.name == "Renamed" and program.reminder_offsets_hours == [48, 1]
    assert program.mentors_per_mentee == 2
    # The saved dates come back in the date pickers (which only read ISO dates).
    page = client.get(url(program, "edit/")).content.decode()
    assert 'value="2027-03-01"' in page and 'value="2027-09-01"' in page


def test_a_copy_keeps_settings_topics_and_modules_but_no_people(
    alpha: Tenant, program, client_for
) -> None:
    with alpha.scope():
        add_person(program, "j@example.com")
    client = client_for(alpha.hr)
    assert "Copy" in client.get(url(program, "duplicate/")).content.decode()
    client.post(url(program, "duplicate/"))
    with alpha.scope():
        copy = Program.objects.exclude(pk=program.pk).get()
        assert copy.status == Program.Status.DRAFT and copy.slug != program.slug
        assert copy.agreement_text == program.agreement_text
        assert set(copy.topics.all()) == set(program.topics.all())
        assert copy.modules.count() == 3 and copy.participants.count() == 0


def test_archiving_needs_a_draft_or_closed_program(alpha: Tenant, program, client_for) -> None:
    with alpha.scope():
        Program.objects.filter(pk=program.pk).update(status=Program.Status.ACTIVE)
    client = client_for(alpha.hr)
    body = client.post(url(program, "archive/")).content.decode()
    assert "Only draft or closed programs can be archived" in body
    with alpha.scope():
        Program.objects.filter(pk=program.pk).update(status=Program.Status.DRAFT)
    client.post(url(program, "archive/"))
    link = f'href="{url(program)}"'
    assert link not in client.get("/o/alpha/programs/").content.decode()
    assert link in client.get("/o/alpha/programs/?archived=1").content.decode()


def test_lifecycle_guards_explain_what_is_missing(alpha: Tenant, program, client_for) -> None:
    client = client_for(alpha.hr)
    body = client.get(url(program, "status/enrolling/")).content.decode()
    assert "Set the start and end dates before opening enrolment." in body
    client.post(url(program, "status/enrolling/"))
    with alpha.scope():
        program.refresh_from_db()
        assert program.status == Program.Status.DRAFT  # the guard held
        program.start_date, program.end_date = date(2027, 1, 1), date(2027, 6, 1)
        program.save()
    client.post(url(program, "status/enrolling/"))
    body = client.get(url(program, "status/matching/")).content.decode()
    assert "Approve at least one junior participant first." in body
    with alpha.scope():
        add_person(program, "j@example.com", "junior")
        add_person(program, "s@example.com", "senior", level=8)
    client.post(url(program, "status/matching/"))
    body = client.get(url(program, "status/active/")).content.decode()
    assert "Publish pairings before the program goes active." in body
    with alpha.scope():
        program.refresh_from_db()
        assert program.status == Program.Status.MATCHING
        Participant.objects.update(matched=True)
    client.post(url(program, "status/active/"))
    confirm = client.get(url(program, "status/closed/")).content.decode()
    assert "This cannot be undone." in confirm
    with alpha.scope():
        program.refresh_from_db()
        assert program.status == Program.Status.ACTIVE  # looking at the confirmation closes nothing


def test_closing_triggers_the_end_of_program_steps(
    alpha: Tenant, program, client_for, django_capture_on_commit_callbacks
) -> None:
    received = []
    signals.program_closed.connect(
        lambda sender, program, **kw: received.append(program.pk), weak=False, dispatch_uid="t"
    )
    try:
        with alpha.scope():
            Program.objects.filter(pk=program.pk).update(status=Program.Status.ACTIVE)
        with django_capture_on_commit_callbacks(execute=True):
            client_for(alpha.hr).post(url(program, "status/closed/"))
    finally:
        signals.program_closed.disconnect(dispatch_uid="t")
    assert received == [program.pk]
    with alpha.scope():
        program.refresh_from_db()
    assert program.status == Program.Status.CLOSED and program.closed_at


def test_a_move_the_lifecycle_does_not_allow_is_refused(alpha: Tenant, program) -> None:
    with alpha.scope(), pytest.raises(ValidationError, match="cannot move"):
        program_services.program_transition(program=program, target="active", actor=alpha.hr)


def test_export_then_import_into_another_organisation(
    alpha: Tenant, beta: Tenant, program, client_for
) -> None:
    exported = client_for(alpha.hr).get(url(program, "export/"))
    assert exported["Content-Disposition"].endswith('.program.json"')
    data = json.loads(exported.content)
    assert "email" not in exported.content.decode()  # settings only, never people
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("p.json", exported.content, content_type="application/json")
    response = client_for(beta.hr).post(
        "/o/beta/programs/import/", {"file": upload, "name": "Shared"}
    )
    assert response.status_code == 302
    with beta.scope():
        imported = Program.objects.get()
        assert imported.name == "Shared" and imported.status == Program.Status.DRAFT
        assert imported.agreement_text == data["program"]["agreement_text"]
        assert sorted(t.name for t in imported.topics.all()) == data["topics"]
        assert imported.modules.count() == len(data["training_modules"])


def config(program: dict[str, object], **sections: object) -> bytes:
    return json.dumps(
        {
            "format": "reverse-mentoring/program",
            "version": 1,
            "program": {"name": "X", **program},
            **sections,
        }
    ).encode()


def test_imported_reminders_are_stored_like_the_form_stores_them(beta: Tenant, client_for) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    content = config({"reminder_offsets_hours": [1, 24, 1, 48]})
    client_for(beta.hr).post(
        "/o/beta/programs/import/", {"file": SimpleUploadedFile("p.json", content)}
    )
    with beta.scope():
        assert Program.objects.get().reminder_offsets_hours == [48, 24, 1]


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        (", ".join(str(h) for h in range(1, 12)), "At most 10 reminders per meeting."),
        ("24, 0", "a whole number of hours between 1 and 336"),
        ("24, 337", "a whole number of hours between 1 and 336"),
        ("24, soon", "Use whole numbers of hours, separated by commas."),
    ],
)
def test_the_program_form_refuses_reminders_the_import_refuses(
    alpha: Tenant, program, client_for, typed: str, message: str
) -> None:
    with alpha.scope():
        before = Program.objects.get(pk=program.pk).reminder_offsets_hours
    response = client_for(alpha.hr).get(url(program, "edit/"))
    form = response.context["form"]
    data = {**form.initial, "reminder_offsets": typed}
    data = {k: v for k, v in data.items() if v is not None and not isinstance(v, list)}
    response = client_for(alpha.hr).post(url(program, "edit/"), data)
    assert message in response.content.decode()
    with alpha.scope():
        assert Program.objects.get(pk=program.pk).reminder_offsets_hours == before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"not json", "not valid JSON"),
        (b'{"format": "something-else"}', "not a program configuration"),
        (
            json.dumps(
                {
                    "format": "reverse-mentoring/program",
                    "version": 1,
                    "program": {"name": "X", "cadence_weeks": 99, "colour": "red"},
                    "topics": [1],
                }
            ).encode(),
            "Unknown settings: colour",
        ),
        (
            json.dumps(
                {
                    "format": "reverse-mentoring/program",
                    "version": 1,
                    "program": {"name": "X", "cadence_weeks": 99},
                }
            ).encode(),
            "cadence_weeks",
        ),
        (config({"reminder_offsets_hours": [True]}), "whole number of hours between 1 and 336"),
        (config({"reminder_offsets_hours": [1.5]}), "whole number of hours between 1 and 336"),
        (config({"reminder_offsets_hours": list(range(1, 12))}), "At most 10 reminders"),
        (config({}, topics=[f"T{n}" for n in range(201)]), "at most 200 topics"),
        (
            config({}, training_modules=[{"title": f"M{n}"} for n in range(51)]),
            "at most 50 training modules",
        ),
        (b" " * (1024 * 1024) + b"{}", "larger than 1 MB"),
        (b"[" * 100_000, "nested too deeply"),
    ],
)
def test_a_bad_configuration_is_refused_and_nothing_is_created(
    beta: Tenant, client_for, content: bytes, message: str
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client_for(beta.hr).post(
        "/o/beta/programs/import/", {"file": SimpleUploadedFile("p.json", content)}
    )
    assert message in response.content.decode()
    with beta.scope():
        assert not Program.objects.exists() and not Topic.objects.exists()


def test_sponsors_are_assigned_per_program_and_see_only_theirs(
    alpha: Tenant, program, client_for
) -> None:
    with alpha.scope():
        other = program_services.program_create(organization=alpha.organization, name="Other")
    client = client_for(alpha.hr)
    sponsor_membership = alpha.members[Role.SPONSOR]
    client.post(url(program, "sponsors/"), {"membership": sponsor_membership.pk})
    listing = client_for(alpha.sponsor).get("/o/alpha/programs/").content.decode()
    assert program.name in listing and other.name not in listing
    page = client_for(alpha.sponsor).get(url(program)).content.decode()
    assert alpha.sponsor.display_name in page and "junior mentors" in page
    assert client_for(alpha.sponsor).get(url(other)).status_code == 404
    # A participant cannot be made a sponsor.
    client.post(url(program, "sponsors/"), {"membership": alpha.members[Role.PARTICIPANT].pk})
    with alpha.scope():
        assert program.sponsors.count() == 1
    client.post(url(program, "sponsors/"), {"remove": sponsor_membership.pk})
    with alpha.scope():
        assert program.sponsors.count() == 0


def test_participants_see_their_programs_and_open_ones(alpha: Tenant, program, client_for) -> None:
    with alpha.scope():
        draft = program_services.program_create(
            organization=alpha.organization, name="Hidden draft"
        )
        Program.objects.filter(pk=program.pk).update(status=Program.Status.ENROLLING)
    body = client_for(alpha.participant).get("/o/alpha/programs/").content.decode()
    assert program.name in body and draft.name not in body
    member = MembershipFactory(organization=alpha.organization, is_participant=True)
    assert client_for(member.user).get(url(draft)).status_code == 404


def test_program_pages_are_for_hr_admins(alpha: Tenant, program, client_for) -> None:
    for suffix in ("edit/", "participants/", "participants/import/", "export/"):
        assert client_for(alpha.sponsor).get(url(program, suffix)).status_code == 404


def test_a_program_called_new_still_opens(alpha: Tenant, client_for) -> None:
    with alpha.scope():
        program = program_services.program_create(organization=alpha.organization, name="New")
    assert program.slug != "new"
    assert "<h1>New</h1>" in client_for(alpha.hr).get(url(program)).content.decode()
