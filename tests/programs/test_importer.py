"""The participant CSV import: parsing rules, the all-or-nothing upsert, and the command."""

from __future__ import annotations

import csv
import io
import math
import time
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import AutoField
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mentorship.models import AuditEvent, Invitation, Membership, Role
from programs.csv_parser import COLUMNS, ParticipantRow, parse_participants_csv
from programs.models import Participant, Program, Topic, TrainingModule
from programs.services import imports as importer
from programs.services.imports import (
    ImportPreview,
    ImportSummary,
    import_preview,
    participants_import,
)
from tests.conftest import Tenant
from tests.factories import MembershipFactory, ProgramFactory, TopicFactory, UserFactory
from tests.queries import Run, assert_same_queries, run

HEADER = (
    "email,first_name,last_name,side,department,title,level,manager_email,timezone,offers,wants"
)
GOOD = "ann@example.com,Ann,Lee,junior,IT,Analyst,2,boss@example.com,Europe/Paris,AI;Cloud,Strategy"


def csv_text(*lines: str, header: str = HEADER) -> str:
    return "\n".join([header, *lines]) + "\n"


def person(email: str, side: str = "junior", **fields: object) -> ParticipantRow:
    values: dict = {"first_name": "First", "last_name": "Last", **fields}
    return ParticipantRow(line=2, email=email, side=side, **values)


@pytest.fixture
def program(alpha: Tenant) -> Program:
    with alpha.scope():
        return ProgramFactory(organization=alpha.organization, slug="p", name="P")


def run_import(tenant: Tenant, program: Program, rows, **kwargs) -> ImportSummary:
    with tenant.scope():
        return participants_import(program=program, rows=rows, invited_by=tenant.hr, **kwargs)


def counts(tenant: Tenant) -> tuple[int, int, int, int]:
    with tenant.scope():
        return (
            Participant.objects.count(),
            Topic.objects.count(),
            Invitation.objects.count(),
            Membership.objects.filter(is_participant=True).count(),
        )


def writes(queries: Run) -> list[str]:
    return [
        sql
        for sql in queries.sql
        if sql.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]


# --- Parsing --------------------------------------------------------------------------------------


def test_columns_in_any_order_any_case_with_extra_columns_ignored() -> None:
    text = csv_text(
        "senior,  Bo@Example.COM ,Bo,Berg,ignored,12,Amsterdam",
        header=" SIDE ,Email,First_Name,LAST_NAME,Shoe Size,level,Department",
    )
    result = parse_participants_csv(text)
    assert result.is_clean, result.errors
    (row,) = result.rows
    assert row == ParticipantRow(
        line=2,
        email="bo@example.com",
        first_name="Bo",
        last_name="Berg",
        side="senior",
        department="Amsterdam",
        level=12,
    )


def test_optional_columns_default_and_values_are_normalised() -> None:
    result = parse_participants_csv(
        csv_text(
            "A@X.COM,A,B,Junior,,,,,,,",
            "c@x.com,C,D,SENIOR,,,7,A@x.com,europe/paris, ai ; Cloud  Native;;AI;cloud native,",
        )
    )
    assert result.is_clean, result.errors
    first, second = result.rows
    assert (first.email, first.side, first.level, first.timezone) == ("a@x.com", "junior", 1, "UTC")
    assert first.offers == first.wants == ()
    assert second.manager_email == "a@x.com"
    assert second.timezone == "Europe/Paris"
    assert second.offers == ("ai", "Cloud Native")


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"email": ""}, "email is required"),
        ({"email": "not-an-email"}, "email “not-an-email” is not a valid email address"),
        ({"email": "a" * 250 + "@x.com"}, "email is longer than 254 characters"),
        ({"first_name": ""}, "first_name is required"),
        ({"last_name": "L" * 81}, "last_name is longer than 80 characters"),
        ({"side": ""}, "side is required (junior or senior)"),
        ({"side": "middle"}, "side must be junior or senior, not “middle”"),
        ({"level": "0"}, "level must be a whole number from 1 to 30, not “0”"),
        ({"level": "31"}, "level must be a whole number from 1 to 30, not “31”"),
        ({"level": "2.5"}, "level must be a whole number from 1 to 30, not “2.5”"),
        ({"level": "three"}, "level must be a whole number from 1 to 30, not “three”"),
        ({"manager_email": "boss@"}, "manager_email “boss@” is not a valid email address"),
        ({"manager_email": "ANN@example.com"}, "manager_email is the participant's own email"),
        ({"timezone": "Mars/Olympus"}, "timezone “Mars/Olympus” is not a known time zone"),
        ({"department": "D" * 81}, "department is longer than 80 characters"),
        ({"title": "T" * 121}, "title is longer than 120 characters"),
        ({"offers": "AI;" + "x" * 81}, "offers topic “" + "x" * 40 + "…” is longer than 80"),
        ({"wants": "ok;" + "y" * 81}, "wants topic “" + "y" * 40 + "…” is longer than 80"),
        ({"first_name": '"An\nn"'}, "first_name contains control characters"),
    ],
)
def test_each_rule_reports_its_reason_on_the_right_line(change: dict, reason: str) -> None:
    cells = dict(zip(HEADER.split(","), GOOD.split(","), strict=True)) | change
    bad = ",".join(cells.values())
    result = parse_participants_csv(csv_text(GOOD.replace("ann@", "zed@"), "", bad))
    assert [row.line for row in result.rows] == [2]
    ((line, message),) = result.errors
    assert line == 4
    assert reason in message


def test_every_bad_row_is_reported_with_all_its_problems() -> None:
    result = parse_participants_csv(
        csv_text(
            "bad,A,B,junior",
            "ok@x.com,A,B,junior",
            ",,B,middle,,,99",
            "also-ok@x.com,A,B,senior",
            "x@x.com,A,B,senior,,,,,Nowhere/Land",
        )
    )
    assert [row.email for row in result.rows] == ["ok@x.com", "also-ok@x.com"]
    assert [line for line, _ in result.errors] == [2, 4, 6]
    assert result.errors[1][1] == (
        "email is required; first_name is required; side must be junior or senior, not "
        "“middle”; level must be a whole number from 1 to 30, not “99”"
    )
    assert not result.is_clean


def test_the_same_email_twice_is_an_error_on_the_later_line() -> None:
    result = parse_participants_csv(
        csv_text("a@x.com,A,B,junior", "b@x.com,B,C,senior", "A@X.com,A,B,senior")
    )
    assert result.errors == [(4, "email also on line 2")]
    assert len(result.rows) == 2


def test_a_missing_required_column_is_one_error_on_line_1() -> None:
    result = parse_participants_csv("email,First_Name,department\na@x.com,A,IT\n,,\n")
    assert result.errors == [(1, "missing required columns: last_name, side")]
    assert result.rows == []


@pytest.mark.parametrize("text", ["", "\ufeff", "\n\n", " , ,\n"])
def test_an_empty_file_is_an_error_on_line_1(text: str) -> None:
    assert parse_participants_csv(text).errors == [(1, "the file is empty")]


def test_a_byte_order_mark_and_windows_line_ends_are_accepted() -> None:
    text = "\ufeff" + csv_text("a@x.com,A,B,junior", "b@x.com,B,C,senior").replace("\n", "\r\n")
    result = parse_participants_csv(text)
    assert result.is_clean, result.errors
    assert [row.line for row in result.rows] == [2, 3]


def test_blank_lines_are_skipped_and_later_lines_keep_their_numbers() -> None:
    result = parse_participants_csv(csv_text("", "a@x.com,A,B,junior", ",,,", "   ", "bad,A,B,x"))
    assert [row.line for row in result.rows] == [3]
    assert [line for line, _ in result.errors] == [6]


def test_a_quoted_cell_over_several_lines_is_reported_where_its_row_starts() -> None:
    result = parse_participants_csv(csv_text('a@x.com,"A\nB",C,junior', "bad,A,B,junior"))
    assert [line for line, _ in result.errors] == [2, 4]


def test_a_cell_too_big_for_the_csv_reader_is_a_row_error_and_reading_goes_on() -> None:
    result = parse_participants_csv(csv_text("x" * 200_000 + ",A,B,junior", "a@x.com,A,B,junior"))
    assert result.errors == [
        (2, "this line could not be read (field larger than field limit (131072))")
    ]
    assert [row.email for row in result.rows] == ["a@x.com"]


def test_a_row_survives_a_json_round_trip() -> None:
    (row,) = parse_participants_csv(csv_text(GOOD)).rows
    assert ParticipantRow.from_dict(row.to_dict()) == row
    assert row.to_dict()["offers"] == ["AI", "Cloud"]


def test_ten_thousand_rows_parse_in_well_under_a_second() -> None:
    lines = [
        f"p{i}@example.com,First,Last,{'junior' if i % 2 else 'senior'},D{i % 10},T,{i % 30 + 1},"
        f"p{(i + 1) % 10_000}@example.com,Europe/Paris,AI;Cloud,Strategy"
        for i in range(10_000)
    ]
    text = csv_text(*lines)
    parse_participants_csv(csv_text(lines[0]))  # load the zone database outside the timing
    start = time.perf_counter()
    result = parse_participants_csv(text)
    assert time.perf_counter() - start < 1.0
    assert result.is_clean and len(result.rows) == 10_000


# --- Hostile input --------------------------------------------------------------------------------

VALID_CELLS = {
    "email": st.integers(0, 1000).map(lambda n: f"person{n}@example.com"),
    "first_name": st.sampled_from(["Ann", "Zoë", "李"]),
    "last_name": st.sampled_from(["Lee", "O'Neil", "Ødegaard"]),
    "side": st.sampled_from(["junior", "Senior"]),
    "department": st.sampled_from(["", "IT", "Sales"]),
    "title": st.sampled_from(["", "Analyst"]),
    "level": st.integers(1, 30).map(str),
    "manager_email": st.sampled_from(["", "boss@example.com"]),
    "timezone": st.sampled_from(["", "UTC", "Asia/Tokyo"]),
    "offers": st.sampled_from(["", "AI;Cloud", "ai; Data "]),
    "wants": st.sampled_from(["", "Strategy", "STRATEGY;Finance"]),
}
HOSTILE_CELLS = st.one_of(
    st.text(max_size=30),
    st.builds(lambda c, n: c * n, st.sampled_from('x<é",;\n'), st.integers(0, 200_000)),
    st.sampled_from(
        [
            "<script>alert(1)</script>",
            "'; DROP TABLE programs_participant; --",
            "\x00",
            "NaN",
            "-1",
            "1e3",
            "٣",
            "None",
            "😀@example.com",
            "a@b",
            "@",
            "junior\x0b",
            "Europe/../../etc/passwd",
        ]
    ),
    st.integers().map(str),
    st.floats().map(str),
)


HEADERS = st.one_of(
    st.permutations([*COLUMNS, "notes"]),
    st.permutations(COLUMNS),
    st.lists(st.sampled_from([*COLUMNS, "Email", "notes"]), unique=True, max_size=12),
)
# A valid row, with up to three cells swapped for hostile ones (none, often: clean files too).
ROWS = st.lists(
    st.builds(
        lambda valid, hostile: valid | hostile,
        st.fixed_dictionaries(VALID_CELLS),
        st.dictionaries(st.sampled_from(COLUMNS), HOSTILE_CELLS, max_size=3),
    ),
    max_size=6,
)


def render(header: list[str], rows: list[dict[str, str]], quoted: bool) -> str:
    lines = [[row.get(column.lower(), "") for column in header] for row in rows]
    if not quoted:  # cells joined as they are: commas and quotes inside break the layout
        return "\n".join(",".join(cells) for cells in [header, *lines])
    out = io.StringIO()
    csv.writer(out).writerows([header, *lines])
    return out.getvalue()


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(header=HEADERS, rows=ROWS, quoted=st.booleans(), bom=st.booleans())
def test_hostile_files_never_raise_and_a_file_with_errors_writes_nothing(
    alpha: Tenant, program: Program, tmp_path: Path, header, rows, quoted, bom
) -> None:
    text = ("\ufeff" if bom else "") + render(header, rows, quoted)
    parsed = parse_participants_csv(text)
    path = tmp_path / "hostile.csv"
    path.write_text(text, encoding="utf-8", newline="")
    before = counts(alpha)
    args = ("import_participants", "--org", "alpha", "--program", "p", str(path))
    if parsed.is_clean:
        call_command(*args, stdout=io.StringIO())
        return
    stderr = io.StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command(*args, stdout=io.StringIO(), stderr=stderr)
    assert counts(alpha) == before
    assert stderr.getvalue().count("line ") >= len(parsed.errors)


# --- Import ---------------------------------------------------------------------------------------


def test_import_creates_approved_participants_with_their_topics(
    alpha: Tenant, program: Program
) -> None:
    rows = parse_participants_csv(csv_text(GOOD, "bo@example.com,Bo,Berg,senior,,,15")).rows
    summary = run_import(alpha, program, rows)
    assert summary == ImportSummary(created=2, updated=0, unchanged=0, invited=2)
    with alpha.scope():
        ann = Participant.objects.get(email="ann@example.com")
        assert ann.status == Participant.Status.APPROVED
        assert ann.program == program
        assert (ann.side, ann.level, ann.department, ann.title) == ("junior", 2, "IT", "Analyst")
        assert (ann.manager_email, ann.timezone) == ("boss@example.com", "Europe/Paris")
        assert sorted(t.name for t in ann.offers.all()) == ["AI", "Cloud"]
        assert [t.name for t in ann.wants.all()] == ["Strategy"]
        assert Participant.objects.get(email="bo@example.com").offers.count() == 0


def test_unknown_topics_are_created_once_and_known_ones_matched_ignoring_case(
    alpha: Tenant, program: Program
) -> None:
    with alpha.scope():
        known = TopicFactory(organization=alpha.organization, name="Cloud")
    rows = [
        person("a@x.com", offers=("Machine Learning", "CLOUD")),
        person("b@x.com", wants=("machine learning", "cloud")),
    ]
    run_import(alpha, program, rows)
    with alpha.scope():
        assert sorted(Topic.objects.values_list("name", flat=True)) == ["Cloud", "Machine Learning"]
        assert set(Participant.objects.get(email="b@x.com").wants.all()) == {
            known,
            Topic.objects.get(name="Machine Learning"),
        }


def test_reimporting_the_same_rows_changes_nothing_and_writes_nothing(
    alpha: Tenant, program: Program
) -> None:
    sponsor = alpha.sponsor.email
    rows = parse_participants_csv(
        csv_text(GOOD, f"{sponsor},Sam,Sponsor,senior,,,20,,,AI,Cloud", "c@x.com,C,D,junior")
    ).rows
    run_import(alpha, program, rows)
    with alpha.scope():
        queries = run(lambda: participants_import(program=program, rows=rows, invited_by=alpha.hr))
    assert queries.result == ImportSummary(created=0, updated=0, unchanged=3, invited=0)
    assert writes(queries) == []


def test_a_changed_row_is_updated_and_its_topics_follow(alpha: Tenant, program: Program) -> None:
    run_import(
        alpha, program, [person("a@x.com", level=3, offers=("AI", "Cloud")), person("b@x.com")]
    )
    summary = run_import(
        alpha,
        program,
        [person("a@x.com", level=4, offers=("cloud", "Data")), person("b@x.com")],
    )
    assert summary == ImportSummary(created=0, updated=1, unchanged=1, invited=0)
    with alpha.scope():
        a = Participant.objects.get(email="a@x.com")
        assert a.level == 4
        assert sorted(t.name for t in a.offers.all()) == ["Cloud", "Data"]
        assert Topic.objects.count() == 3  # "AI" stays in the taxonomy


def test_only_topics_changing_counts_as_an_update(alpha: Tenant, program: Program) -> None:
    run_import(alpha, program, [person("a@x.com", wants=("AI",))])
    summary = run_import(alpha, program, [person("a@x.com", wants=())])
    assert (summary.updated, summary.unchanged) == (1, 0)
    with alpha.scope():
        assert Participant.objects.get(email="a@x.com").wants.count() == 0


def test_an_existing_member_is_linked_and_given_the_participant_role(
    alpha: Tenant, program: Program
) -> None:
    sponsor = alpha.members[Role.SPONSOR]
    assert not sponsor.is_participant
    summary = run_import(alpha, program, [person(sponsor.user.email, "senior")])
    assert summary.invited == 0
    with alpha.scope():
        participant = Participant.objects.get(email=sponsor.user.email)
        assert participant.membership_id == sponsor.pk
        sponsor.refresh_from_db()
        assert sponsor.is_participant and sponsor.is_sponsor
        assert not Invitation.objects.exists()


def test_a_removed_member_is_invited_rather_than_linked(alpha: Tenant, program: Program) -> None:
    MembershipFactory(
        organization=alpha.organization,
        user=UserFactory(email="gone@x.com"),
        is_participant=True,
        removed_at=timezone.now(),
    )
    assert run_import(alpha, program, [person("gone@x.com")]).invited == 1
    with alpha.scope():
        assert Participant.objects.get(email="gone@x.com").membership is None


def test_people_without_membership_are_invited_and_emailed_after_commit(
    alpha: Tenant, program: Program, django_capture_on_commit_callbacks
) -> None:
    rows = [person("new1@x.com"), person("new2@x.com", "senior"), person(alpha.participant.email)]
    with django_capture_on_commit_callbacks(execute=True):
        summary = run_import(alpha, program, rows)
        assert mail.outbox == []  # nothing leaves before commit
    assert summary.invited == 2
    with alpha.scope():
        assert sorted(
            Invitation.objects.filter(role=Role.PARTICIPANT).values_list("email", flat=True)
        ) == ["new1@x.com", "new2@x.com"]
    assert sorted(m.to[0] for m in mail.outbox) == ["new1@x.com", "new2@x.com"]


def test_a_member_of_another_organisation_is_invited_never_linked_to_it(
    alpha: Tenant, beta: Tenant, program: Program
) -> None:
    beta_member = beta.members[Role.SPONSOR]
    summary = run_import(alpha, program, [person(beta_member.user.email)])
    assert summary.invited == 1
    with alpha.scope():
        participant = Participant.objects.get(email=beta_member.user.email)
        assert participant.membership_id is None
        assert Invitation.objects.filter(email=beta_member.user.email).exists()
    with beta.scope():
        beta_member.refresh_from_db()
        assert not beta_member.is_participant
        assert not Invitation.objects.exists()


def test_a_failure_midway_leaves_nothing_written(
    alpha: Tenant, program: Program, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    monkeypatch.setattr(importer, "CHUNK_SIZE", 5)
    write_chunk = importer._write_chunk
    calls = []

    def fail_on_second_chunk(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        write_chunk(**kwargs)

    monkeypatch.setattr(importer, "_write_chunk", fail_on_second_chunk)
    rows = [person(f"p{i}@x.com", offers=("New topic",)) for i in range(12)]
    rows.append(person(alpha.sponsor.email, "senior"))
    before = counts(alpha)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        run_import(alpha, program, rows)
    assert len(calls) == 2
    assert counts(alpha) == before
    assert mail.outbox == []


def test_progress_is_reported_every_chunk_and_at_the_end(
    alpha: Tenant, program: Program, monkeypatch
) -> None:
    monkeypatch.setattr(importer, "CHUNK_SIZE", 4)
    seen: list[int] = []
    run_import(alpha, program, [person(f"p{i}@x.com") for i in range(10)], progress=seen.append)
    assert seen == [4, 8, 10]


def test_new_participants_get_their_training_state(alpha: Tenant, program: Program) -> None:
    with alpha.scope():
        TrainingModule.objects.create(
            organization=alpha.organization, program=program, title="M", body="b"
        )
    run_import(alpha, program, [person("j@x.com", "junior"), person("s@x.com", "senior")])
    with alpha.scope():
        assert dict(Participant.objects.values_list("email", "training_done")) == {
            "j@x.com": False,
            "s@x.com": True,
        }


def test_the_import_refuses_to_run_in_another_organisations_scope(
    alpha: Tenant, beta: Tenant, program: Program
) -> None:
    with beta.scope(), pytest.raises(RuntimeError, match="scope"):
        participants_import(program=program, rows=[person("a@x.com")], invited_by=None)
    assert counts(alpha)[0] == 0


def test_the_preview_tells_what_would_happen_without_writing(
    alpha: Tenant, program: Program
) -> None:
    run_import(alpha, program, [person("a@x.com"), person("b@x.com")])
    rows = [person("a@x.com"), person("b@x.com", level=9), person("c@x.com", wants=("Go", "go"))]
    before = counts(alpha)
    with alpha.scope():
        queries = run(lambda: import_preview(program=program, rows=rows))
    assert queries.result == ImportPreview(to_create=1, to_update=1, unchanged=1, new_topics=["Go"])
    assert writes(queries) == []
    assert counts(alpha) == before


def _insert_batches(model: type, objects: int) -> int:
    """INSERT statements Django needs for ``objects`` rows (SQLite caps the rows per query)."""
    fields = [f for f in model._meta.concrete_fields if not isinstance(f, AutoField)]
    limit = max(connection.ops.bulk_batch_size(fields, [None] * objects), 1)
    return math.ceil(objects / min(importer.BATCH_SIZE, limit))


def test_the_number_of_queries_does_not_grow_with_rows(alpha: Tenant) -> None:
    for name in ("AI", "Cloud"):
        TopicFactory(organization=alpha.organization, name=name)

    def queries_for(rows: int) -> Run:
        program = ProgramFactory(organization=alpha.organization, slug=f"p{rows}", name=f"P{rows}")
        data = [person(f"n{rows}-{i}@x.com", offers=("AI",), wants=("cloud",)) for i in range(rows)]
        with alpha.scope():
            return run(lambda: participants_import(program=program, rows=data, invited_by=alpha.hr))

    # Equal on PostgreSQL; on SQLite only the bulk INSERTs split into more statements, because
    # SQLite caps the parameters of one statement.
    extra = sum(
        _insert_batches(model, 200) - _insert_batches(model, 10)
        for model in (
            Participant,
            Participant.offers.through,
            Participant.wants.through,
            Invitation,
        )
    )
    large = queries_for(200)
    assert_same_queries(queries_for(10), large, extra=extra)


# --- The command ----------------------------------------------------------------------------------


def command(tmp_path: Path, text: str, *extra: str, org: str = "alpha", program: str = "p"):
    path = tmp_path / "people.csv"
    path.write_text(text, encoding="utf-8")
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command(
        "import_participants",
        "--org",
        org,
        "--program",
        program,
        str(path),
        *extra,
        stdout=stdout,
        stderr=stderr,
    )
    return stdout.getvalue(), stderr.getvalue()


def test_the_command_imports_a_clean_file_and_prints_the_summary(
    alpha: Tenant, program: Program, tmp_path: Path
) -> None:
    out, _ = command(tmp_path, "\ufeff" + csv_text(GOOD, "bo@x.com,Bo,Berg,senior"))
    assert "created 2, updated 0, unchanged 0, invited 2" in out
    assert " s" in out.splitlines()[-1]
    out, _ = command(tmp_path, csv_text(GOOD, "bo@x.com,Bo,Berg,senior"))
    assert "created 0, updated 0, unchanged 2, invited 0" in out
    assert counts(alpha)[0] == 2
    with alpha.scope():
        (event,) = AuditEvent.objects.filter(action=AuditEvent.Action.PARTICIPANTS_IMPORTED)
    assert event.summary == "people.csv (command line): 2 created, 0 updated, 0 unchanged into P"


def test_the_command_refuses_a_file_with_bad_rows_lists_every_one_and_writes_nothing(
    alpha: Tenant, program: Program, tmp_path: Path
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(csv_text(GOOD, "bad,A,B,junior", "c@x.com,C,D,junior", "d@x.com,,D,x"))
    stderr = io.StringIO()
    before = counts(alpha)
    with pytest.raises(CommandError, match=r"^2 invalid rows; nothing was imported"):
        call_command(
            "import_participants", "--org", "alpha", "--program", "p", str(path), stderr=stderr
        )
    assert stderr.getvalue().splitlines() == [
        "line 3: email “bad” is not a valid email address",
        "line 5: first_name is required; side must be junior or senior, not “x”",
    ]
    assert counts(alpha) == before


def test_the_dry_run_shows_the_preview_and_writes_nothing(
    alpha: Tenant, program: Program, tmp_path: Path
) -> None:
    before = counts(alpha)
    out, _ = command(tmp_path, csv_text(GOOD), "--dry-run")
    assert "would create 1, update 0, leave 0 unchanged" in out
    assert "New topics: AI, Cloud, Strategy" in out
    assert counts(alpha) == before


@pytest.mark.parametrize(
    ("org", "program_slug", "message"),
    [
        ("nope", "p", "No organisation with the slug 'nope'"),
        ("alpha", "nope", "No program with the slug 'nope'"),
        ("beta", "p", "No program with the slug 'p'"),  # alpha's program, beta's slug
    ],
)
def test_the_command_names_an_unknown_organisation_or_program(
    alpha: Tenant, beta: Tenant, program: Program, tmp_path: Path, org, program_slug, message
) -> None:
    with pytest.raises(CommandError, match=message):
        command(tmp_path, csv_text(GOOD), org=org, program=program_slug)


def test_the_command_refuses_a_file_that_is_not_utf8(
    alpha: Tenant, program: Program, tmp_path: Path
) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes(csv_text("z@x.com,Zoë,Lee,junior").encode("latin-1"))
    with pytest.raises(CommandError, match="not UTF-8"):
        call_command("import_participants", "--org", "alpha", "--program", "p", str(path))
    assert counts(alpha)[0] == 0
