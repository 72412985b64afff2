"""Every form of the organisation's pages, posted with hostile input.

The suite walks the URL configuration like the isolation suite (and reuses its fillers and its
per-tenant "world" to put real ids in the URLs). For each pattern under ``/o/<org_slug>/`` that
accepts POST it finds the form(s) that post to it in the HTML of the page itself or of the
pages above it (``/pairs/1/action/`` is posted from ``/pairs/1/``), reads their field names, and
has Hypothesis post hostile values for every field: huge strings, awkward Unicode, NUL bytes,
script payloads, SQL-ish text, wrong types, impossible dates, several values where one is
expected, files with hostile names. For every example:

* the answer is never a 5xx;
* no page of the answer (redirects followed) carries a payload unescaped;
* an answer that is not a redirect (the form shown again with its errors, a refusal) leaves
  every row of the database as it was: nothing half-written. Rows are compared whole, across
  every model and every organisation, except the sessions (``UNCHECKED_MODELS``); a page whose
  success is a 200 rather than a redirect is listed in ``WRITES_ON_200``.

The filter forms (GET) are queried the same way at the end: a query writes nothing at all.
Each example runs in a transaction that is rolled back, so examples do not see each other.
HOSTILE_EXAMPLES=200 makes a longer hunt (the default, 30 per URL, runs in about two minutes).
"""

from __future__ import annotations

import contextlib
import copy
import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client, RequestFactory
from django.urls import resolve
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from feedback.models import FeedbackCycle
from mentorship.events.models import WebhookEndpoint
from mentorship.identity.secrets import encrypt
from mentorship.models import Membership, Notification, Role
from pairings.models import BusyCalendar, Pairing
from pairings.services.meetings import calendar_feed_token_create
from programs.library import TEMPLATES
from programs.models import Participant, Program
from programs.services.programs import PROGRAM_SETTINGS
from programs.services.sponsors import program_sponsor_add
from tests.conftest import Tenant
from tests.dbstate import changed, snapshot
from tests.factories import TopicFactory
from tests.feedback.test_results import answer
from tests.identity.settings_support import reauthenticated
from tests.identity.sso_support import saml_sso
from tests.isolation import test_url_isolation as isolation

# --- Hostile values -------------------------------------------------------------------------------

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
# What must never appear verbatim in a page: the raw tag, and the attribute breaking out of
# its quotes (escaped, ``>`` becomes ``&gt;``).
UNESCAPED_MARKERS = (SCRIPT, "onerror=alert(1)>")

HOSTILE_STRINGS = [
    SCRIPT,
    IMG,
    f"{SCRIPT}@example.com",
    f"javascript:alert(1)//{IMG}",
    "'; DROP TABLE programs_participant; --",
    "' OR '1'='1",
    "1; SELECT pg_sleep(5)--",
    "%s%s%s%n",
    "{{ request.user.password }}{% debug %}",
    "\x00",
    "nul\x00inside",
    "\u202eRTL override\u202c",
    "مرحبا بالعالم",  # right-to-left text
    "😀🏳️‍🌈👩🏽‍💻",
    "Z̸̡̢͉̻̈́a̵̛͈͂l̶̤̿g̷̣̈́o̸̧͝",
    "\ufeff\u200b\u200d",
    "a" * 10_000,
    "<" * 10_000,
    "é" * 5_000,
    "-1",
    "0",
    "-99999999999",
    str(2**63),  # one past the largest database key
    str(10**30),
    "1e309",
    "NaN",
    "inf",
    "3.5",
    "٣",
    "²",
    "abc",
    "2026-02-30",
    "0000-00-00",
    "9999-12-31",
    "2026-13-01T25:61",
    "25:61",
    "",
    " ",
    "true",
    "None",
    "../../etc/passwd",
    "\r\n\t",
]

HOSTILE = st.one_of(
    st.sampled_from(HOSTILE_STRINGS),
    st.text(max_size=40),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
)

# Examples per URL; HOSTILE_EXAMPLES=200 for a longer hunt.
EXAMPLES = int(os.environ.get("HOSTILE_EXAMPLES", "30"))

OMIT = object()  # the field is left out of the submission


@dataclass
class Field:
    """One named control of a form, with the values its options offer (select, radio, button)."""

    name: str
    kind: str  # the input type, or "select" / "textarea" / "button"
    options: list[str] = field(default_factory=list)
    low: int = 1  # the bounds of a number input
    high: int = 5


PLAUSIBLE_BY_KIND = {
    "date": ["2026-01-15", "2031-06-02", "2031-06-03"],
    "time": ["10:00", "23:55"],
    "datetime-local": ["2026-01-15T10:00"],
    "email": ["someone.new@example.com", "senior@alpha.test"],
    "url": ["https://example.com/"],
    "checkbox": ["on"],
}


# Fields whose plain-text input has a format of its own.
PLAUSIBLE_BY_NAME = {
    "reminder_offsets": ["24, 1", "48"],
    "start_date": ["2026-01-15"],
    "end_date": ["2031-06-02"],
    "manager_email": ["boss@example.com"],
    "expires_on": ["2099-01-15", "2001-01-01"],
    # A webhook's URL: a public address needs no DNS (the fence resolves hosts at save).
    "url": ["https://8.8.8.8/hooks", "https://127.0.0.1/hooks", "http://8.8.4.4/"],
}


def plausible(f: Field) -> st.SearchStrategy[Any]:
    """A value the form could accept: what a browser would send, so some examples get past
    validation to the service, where a half-finished write could happen."""
    if f.kind == "number" and not f.options:
        return st.integers(f.low, f.high).map(str)
    values = (
        [o for o in f.options if o]
        or PLAUSIBLE_BY_NAME.get(f.name)
        or PLAUSIBLE_BY_KIND.get(f.kind)
        or ["Hello", SCRIPT, IMG]
    )
    return st.sampled_from(values)


def hostile_file() -> st.SearchStrategy[SimpleUploadedFile]:
    names = st.sampled_from(
        [
            f"{SCRIPT}.csv",
            f"{IMG}.json",
            "../../etc/passwd",
            "a" * 300 + ".csv",
            "nul\x00.csv",
            "😀.csv",
        ]
    )
    bodies = st.one_of(
        st.binary(max_size=200),
        st.sampled_from(
            [
                b"email,first_name,last_name,side\n" + SCRIPT.encode() + b"@x.com,a,b,junior\n",
                b'{"name": "' + SCRIPT.encode() + b'"}',
                "email\n".encode("utf-16"),
                b"\xff\xfe\x00\x00",
                b"",
            ]
        ),
    )
    return st.builds(
        lambda name, body: SimpleUploadedFile(name.replace("\x00", ""), body, "text/csv"),
        names,
        bodies,
    )


JSON_VALUES = st.one_of(
    # What JSON can carry and a form cannot: null, NUL inside text, Infinity, other types.
    st.sampled_from(
        ["\x00", "nul\x00inside", None, float("inf"), float("nan"), 10**30, True, [], {}, 1.5]
    ),
    st.sampled_from(HOSTILE_STRINGS),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.none(),
    st.booleans(),
    st.floats(),
    st.lists(st.sampled_from(HOSTILE_STRINGS), max_size=3),
    st.dictionaries(st.sampled_from(HOSTILE_STRINGS), st.sampled_from(HOSTILE_STRINGS), max_size=2),
)


def _config(settings: dict[str, Any], topics: Any, modules: Any, top: dict[str, Any]) -> bytes:
    data = copy.deepcopy(TEMPLATES["digital-fluency"])
    data["program"].update(settings)
    if topics is not OMIT:
        data["topics"] = topics
    if modules is not OMIT:
        data["training_modules"] = modules
    return json.dumps(data | top).encode()


def config_files() -> st.SearchStrategy[SimpleUploadedFile]:
    """Program configurations (the JSON of an export) with hostile values in their settings,
    topics, modules and header: valid JSON, so the checks behind the parser are reached."""
    module = st.fixed_dictionaries(
        {"title": JSON_VALUES, "body": JSON_VALUES, "required_for_juniors": JSON_VALUES}
    )
    return st.builds(
        lambda body: SimpleUploadedFile("program.json", body, "application/json"),
        st.builds(
            _config,
            st.dictionaries(st.sampled_from([*PROGRAM_SETTINGS, "organization_id"]), JSON_VALUES),
            st.one_of(st.just(OMIT), st.lists(JSON_VALUES, max_size=3), JSON_VALUES),
            st.one_of(st.just(OMIT), st.lists(module, max_size=2), JSON_VALUES),
            st.dictionaries(st.sampled_from(["format", "version"]), JSON_VALUES, max_size=1),
        ),
    )


def csv_files() -> st.SearchStrategy[SimpleUploadedFile]:
    """Participant files that parse, with script, formulas and odd text in their cells."""
    cell = st.sampled_from([SCRIPT, IMG, "=cmd|' /C calc'!A0", "+1+1", "@SUM(A1)", "Zoë", "李"])
    return st.builds(
        lambda first, last, department: SimpleUploadedFile(
            f"{SCRIPT}.csv",
            "email,first_name,last_name,side,department\n"
            f'new@example.com,"{first}","{last}",junior,"{department}"\n'.encode(),
            "text/csv",
        ),
        cell,
        cell,
        cell,
    )


# Files the page's form expects, with hostile content that still gets past the format check.
PLAUSIBLE_FILES: dict[str, Callable[[], st.SearchStrategy[SimpleUploadedFile]]] = {
    "program_import": config_files,
    "import_upload": csv_files,
}


# For choices that are database ids (topics, members, templates): the numbers around a key's
# limits, which reach the database in a lookup unless the form stops them.
HOSTILE_IDS = st.sampled_from(
    [
        *("0", "-1", "1.0", " 1", "1\n"),
        *(str(2**63 - 1), str(2**63), str(-(2**63) - 1), str(10**30), "9" * 5000),
        *("²", "٣"),  # digits to str.isdigit(); int() takes the second only
    ]
)


def hostile(f: Field) -> st.SearchStrategy[Any]:
    if f.options and all(o.isdigit() for o in f.options if o):
        return st.one_of(HOSTILE, HOSTILE_IDS)
    return HOSTILE


def value_for(f: Field, files: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    if f.kind == "file":
        return st.one_of(files, hostile_file(), st.just(OMIT))
    return st.one_of(
        plausible(f),
        plausible(f),
        hostile(f),
        st.lists(st.one_of(plausible(f), hostile(f)), min_size=2, max_size=3),
        st.just(OMIT),
    )


def submissions(
    fields: list[Field], files: st.SearchStrategy[Any]
) -> st.SearchStrategy[dict[str, Any]]:
    """Either every field hostile or plausible at random, or a plausible form with one or two
    fields made hostile or left out: the second gets past validation often, to the service and
    its writes."""
    anything = st.fixed_dictionaries({f.name: value_for(f, files) for f in fields})
    spoilers = st.sampled_from(fields).flatmap(
        lambda f: st.tuples(st.just(f.name), st.one_of(hostile(f), st.just(OMIT)))
    )
    nearly_valid = st.builds(
        lambda valid, spoilt: valid | dict(spoilt),
        st.fixed_dictionaries(
            {f.name: files if f.kind == "file" else plausible(f) for f in fields}
        ),
        st.lists(spoilers, max_size=2) if fields else st.just([]),
    )
    return st.one_of(anything, nearly_valid).map(
        lambda data: {k: v for k, v in data.items() if v is not OMIT}
    )


# --- Forms in the HTML ----------------------------------------------------------------------------


class FormParser(HTMLParser):
    """The forms of a page: action, method and named controls (csrf token left out)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[tuple[str, str, dict[str, Field]]] = []
        self._form: dict[str, Field] | None = None
        self._select: Field | None = None

    def _add(self, name: str | None, kind: str, option: str | None = None) -> Field | None:
        if self._form is None or not name or name == "csrfmiddlewaretoken":
            return None
        f = self._form.setdefault(name, Field(name=name, kind=kind))
        if option is not None and option not in f.options:
            f.options.append(option)
        return f

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self._form = {}
            self.forms.append(
                (a.get("action") or "", (a.get("method") or "get").lower(), self._form)
            )
        elif tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind in ("radio", "checkbox", "hidden", "submit"):
                self._add(a.get("name"), kind, a.get("value") or "on")
            elif (f := self._add(a.get("name"), kind)) and kind == "number":
                with contextlib.suppress(ValueError):
                    f.low = int(float(a.get("min") or 1))
                    f.high = int(float(a.get("max") or f.low + 9))
        elif tag == "textarea":
            self._add(a.get("name"), "textarea")
        elif tag == "button":
            self._add(a.get("name"), "button", a.get("value") or "")
        elif tag == "select":
            self._select = self._add(a.get("name"), "select")
        elif tag == "option" and self._select is not None:
            value = a.get("value") or ""
            if value not in self._select.options:
                self._select.options.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def fields_posting_to(
    html: str, page_url: str, target: str, method: str = "post"
) -> dict[str, Field] | None:
    """The controls of the forms of ``html`` sent with ``method`` to ``target``, merged."""
    parser = FormParser()
    parser.feed(html)
    found: dict[str, Field] | None = None
    for action, form_method, controls in parser.forms:
        if form_method != method or urlsplit(urljoin(page_url, action)).path != target:
            continue
        found = found or {}
        for name, f in controls.items():
            merged = found.setdefault(name, copy.deepcopy(f))
            merged.options.extend(o for o in f.options if o not in merged.options)
    return found


# --- Routes ---------------------------------------------------------------------------------------


def _accepts_post(route: isolation.Route) -> bool:
    """Whether the view lets POST through its method check. Called without a database: a view
    that refuses POST does so before anything else (``require_GET``), and anything else that
    happens (a 404 for the missing membership, a refused query) means POST got past it."""
    url = route.fill(
        {k: ("x" if k.endswith(("slug", "target", "table")) else 1) for k in route.kwargs}
    )
    request = RequestFactory().post(url)
    request.membership = None
    request.organization = None
    match = resolve(url)
    logging.disable(logging.WARNING)  # "Method Not Allowed" is the expected answer here
    try:
        return match.func(request, *match.args, **match.kwargs).status_code != 405
    except Exception:
        return True
    finally:
        logging.disable(logging.NOTSET)


POST_ROUTES = [r for r in isolation.TENANT_ROUTES if _accepts_post(r)]

# Pages a participant uses: their own place in a program and their pair's life. An HR admin is
# not a participant of the world's program, so these are posted by the world's participant.
PARTICIPANT_PAGES = {
    "my_profile",
    "my_withdraw",
    "objective_new",
    "objective_edit",
    "module_complete",
    "pair_action",
    "pair_exit",
    "session_new",
    "meeting_new",
    "meeting_edit",
    "meeting_cancel",
    "survey_answer",
    "after_session",
    "concern_new",
    "calendar_settings",
    "calendar_revoke",
    "busy_calendar_remove",
    "find_time",
    "proposal_new",
    "proposal_detail",
    "pair_keep",
}


def _program_status(status: str) -> Callable[[Tenant, dict[str, Any]], None]:
    def setup(tenant: Tenant, world: dict[str, Any]) -> None:
        Program.objects.filter(slug=world["program_slug"]).update(status=status)

    return setup


def _pairing_proposed(tenant: Tenant, world: dict[str, Any]) -> None:
    """A proposed pair: its partners are offered to confirm it and accept the agreement."""
    Pairing.objects.filter(pk=world["pairing_id"]).update(status=Pairing.Status.PROPOSED)


def _participant_applied(tenant: Tenant, world: dict[str, Any]) -> None:
    """An application waiting for HR: its page offers approve / decline."""
    Participant.objects.filter(pk=world["participant_id"]).update(status=Participant.Status.APPLIED)


def _second_topic(tenant: Tenant, world: dict[str, Any]) -> None:
    """A topic to merge the world's one into."""
    TopicFactory(organization=tenant.organization, name="Other topic")


def _sponsor(tenant: Tenant, world: dict[str, Any]) -> None:
    """A sponsor of the program, so that its page offers to remove them."""
    program = Program.objects.get(slug=world["program_slug"])
    program_sponsor_add(program=program, membership=tenant.members[Role.SPONSOR])


def _calendar_feed(tenant: Tenant, world: dict[str, Any]) -> None:
    """A calendar feed to turn off."""
    calendar_feed_token_create(membership=tenant.members[Role.PARTICIPANT])  # the viewer


def _busy_calendar(tenant: Tenant, world: dict[str, Any]) -> None:
    """A connected calendar (never fetched here), so that its page offers to remove it."""
    BusyCalendar.objects.create(
        organization=tenant.organization,
        membership=tenant.members[Role.PARTICIPANT],  # the viewer
        url_encrypted=encrypt("https://calendar.example/private/basic.ics"),
        url_hint="https://calendar.example/…/basic.ics",
    )


def _closing_notice(tenant: Tenant, world: dict[str, Any]) -> None:
    """An active pair told it will close for inactivity: its page offers to keep it."""
    Program.objects.filter(slug=world["program_slug"]).update(
        status=Program.Status.ACTIVE, close_quiet_after_days=90
    )
    Pairing.objects.filter(pk=world["pairing_id"]).update(quiet_notice_at=timezone.now())


def _webhook_off(tenant: Tenant, world: dict[str, Any]) -> None:
    """A webhook endpoint that is off, so that its page offers to turn it on."""
    endpoint_id = isolation._object_fillers()["endpoint_id"](tenant, tenant.participant)
    WebhookEndpoint.objects.filter(pk=endpoint_id).update(enabled=False)


def _single_sign_on(tenant: Tenant, world: dict[str, Any]) -> None:
    """A live SAML configuration (no network needed to start it), so that the page offers to
    test and to turn it off."""
    saml_sso(tenant.organization)


# What the world needs for the page to offer its form (it starts with an enrolling program and
# an active pair whose junior is alpha's participant).
ROUTE_SETUP: dict[str, Callable[[Tenant, dict[str, Any]], None]] = {
    **{
        name: _program_status(Program.Status.MATCHING)
        for name in ("matching", "matching_run", "matching_edit")
    },
    **{
        name: _program_status(Program.Status.ACTIVE)
        for name in (
            "session_new",
            "meeting_new",
            "meeting_edit",
            "meeting_cancel",
            "after_session",
            "pair_exit",
            "pair_dissolve",
            "find_time",
            "proposal_new",
            "proposal_detail",
        )
    },
    "busy_calendar_remove": _busy_calendar,
    "pair_keep": _closing_notice,
    "pair_action": _pairing_proposed,
    "participant_decide": _participant_applied,
    "calendar_revoke": _calendar_feed,
    "topic_merge": _second_topic,
    "objective_new": _second_topic,
    "program_sponsors": _sponsor,
    "sso_test": _single_sign_on,
    "sso_turn_off": _single_sign_on,
    "webhook_enable": _webhook_off,
}

# Keywords whose filler makes the object the viewer's own (a notification is its recipient's).
VIEWER_OWNED = {"notification_id"}

# Forms that live on a page which is not above the path they post to: where to find them.
FORM_PAGES: dict[str, Callable[[str], str]] = {
    # "Propose these times" is the Find a time page's form.
    "proposal_new": lambda url: url.replace("proposals/new/", "find-a-time/"),
}

# Pages whose *successful* POST answers 200 rather than redirecting, and why; their refusals
# still have to write nothing, but a 200 there is not a sign of a refusal.
WRITES_ON_200 = {
    "calendar_settings": "a POST creates the feed and shows its secret URL this once",
    "provisioning": "a POST creates a SCIM token and shows it this once",
    "api_keys": "a POST creates an API key and shows it this once",
    "webhooks": "a POST creates a webhook endpoint and shows its signing secret this once",
    "webhook_secret_rotate": "a POST makes a new signing secret and shows it this once",
}


def unescaped(html: str) -> list[str]:
    return [marker for marker in UNESCAPED_MARKERS if marker in html]


def shorten(data: dict[str, Any]) -> dict[str, Any]:
    def one(v: Any) -> Any:
        if isinstance(v, list):
            return [one(x) for x in v]
        if isinstance(v, SimpleUploadedFile):
            return f"<file {v.name!r}>"
        return v if len(v) <= 60 else f"{v[:30]!r}…({len(v)} chars)"

    return {k: one(v) for k, v in data.items()}


# --- The test -------------------------------------------------------------------------------------


@pytest.fixture
def world(alpha: Tenant) -> dict[str, object]:
    isolation._WORLDS.clear()
    # The world's junior is alpha's participant: their pages are reachable by them, and the HR
    # admin reaches everything else of the organisation.
    isolation._object_fillers()["program_slug"](alpha, alpha.participant)
    with alpha.scope():
        # The HR admin also sponsors, for the pages only sponsors use (the digest settings).
        Membership.objects.filter(pk=alpha.members[Role.HR_ADMIN].pk).update(is_sponsor=True)
        # Unread notifications, so that the inbox offers its "mark all as read" form.
        for viewer in (alpha.hr, alpha.participant):
            Notification.objects.create(
                organization=alpha.organization, recipient=viewer, subject="Hello"
            )
    yield isolation._WORLDS[(alpha.organization.pk, alpha.participant.pk)]
    isolation._WORLDS.clear()


def _url(route: isolation.Route, tenant: Tenant, viewer: Any) -> str:
    """The route filled with the world's ids (the world was made for alpha's participant), and
    the viewer's own where the object belongs to one person."""
    fillers = isolation._object_fillers()
    values: dict[str, object] = {"org_slug": tenant.organization.slug}
    for key in route.kwargs:
        if key != "org_slug":
            owner = viewer if key in VIEWER_OWNED else tenant.participant
            values[key] = fillers[key](tenant, owner)
    return route.fill(values)


def _find_fields(client: Client, url: str, name: str = "") -> tuple[dict[str, Field] | None, int]:
    """The controls posting to ``url``, from its own page, the page ``FORM_PAGES`` names, or the
    pages above it; and the status of the page itself (404: this viewer may not use it)."""
    own = client.get(url)
    pages = [url]
    if name in FORM_PAGES:
        pages.append(FORM_PAGES[name](url))
    parts = url.rstrip("/").split("/")
    pages += ["/".join(parts[:n]) + "/" for n in range(len(parts) - 1, 3, -1)]
    for n, page in enumerate(pages):
        response = own if n == 0 else client.get(page)
        if response.status_code == 200 and "html" in response.get("Content-Type", ""):
            found = fields_posting_to(response.content.decode(), page, url)
            if found is not None:
                return found, own.status_code
    return None, own.status_code


@dataclass
class Outcome:
    statuses: dict[str, int] = field(default_factory=dict)


@pytest.mark.parametrize("route", POST_ROUTES, ids=lambda r: r.name or r.route)
def test_hostile_posts_never_fail_leak_or_half_write(
    route: isolation.Route, alpha: Tenant, world: dict[str, object], client_for
) -> None:
    unknown = [k for k in route.kwargs if k != "org_slug" and k not in isolation._object_fillers()]
    if unknown:
        pytest.fail(f"{route.route}: teach _object_fillers() in the isolation suite {unknown}")
    if setup := ROUTE_SETUP.get(route.name):
        with alpha.scope():
            setup(alpha, world)
    viewer = alpha.participant if route.name in PARTICIPANT_PAGES else alpha.hr
    # Confirmed it is them a moment ago: changes that ask for it (identity settings) reach
    # their forms instead of the confirmation page.
    client = reauthenticated(client_for(viewer))
    url = _url(route, alpha, viewer)
    with transaction.atomic():
        fields, own_status = _find_fields(client, url, route.name)
        transaction.set_rollback(True)
    if fields is None and own_status == 404 and viewer == alpha.hr:
        viewer = alpha.participant
        client = client_for(viewer)
        url = _url(route, alpha, viewer)
        with transaction.atomic():
            fields, own_status = _find_fields(client, url, route.name)
            transaction.set_rollback(True)
    assert fields is not None, (
        f"No form posts to {url} ({route.name}) on its page or the pages above it "
        f"(GET answered {own_status}): teach this suite where its form lives."
    )
    outcome = Outcome()
    files = PLAUSIBLE_FILES.get(route.name, st.nothing)()
    _post_hostile(
        client,
        files,
        url,
        list(fields.values()),
        outcome,
        refusal_writes_nothing=route.name not in WRITES_ON_200,
    )
    print(f"{route.name}: {sorted(fields)} -> {outcome.statuses}")


def _post_hostile(
    client: Client,
    files: st.SearchStrategy[Any],
    url: str,
    fields: list[Field],
    outcome: Outcome,
    *,
    refusal_writes_nothing: bool,
) -> None:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        # No shrinking: every step is a request, and the failure message prints the payload.
        phases=[Phase.explicit, Phase.reuse, Phase.generate],
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(data=submissions(fields, files))
    def post(data: dict[str, Any]) -> None:
        cache.clear()  # rate limits and the like start afresh for every example
        with transaction.atomic():
            before = snapshot()
            response = client.post(url, data, follow=True)
            where = f"POST {url} {shorten(data)}"
            assert response.status_code < 500, f"{response.status_code} for {where}"
            pages = [response.content.decode(errors="replace")]
            if response.redirect_chain:
                label = "redirected"
            else:
                label = str(response.status_code)
                after = snapshot() if refusal_writes_nothing else before
                assert not changed(before, after), (
                    f"{label} answer wrote {changed(before, after)} for {where}"
                )
                again = client.get(url)
                if again.status_code == 200 and "html" in again.get("Content-Type", ""):
                    pages.append(again.content.decode(errors="replace"))
            for html in pages:
                assert not unescaped(html), f"unescaped {unescaped(html)} after {where}"
            outcome.statuses[label] = outcome.statuses.get(label, 0) + 1
            transaction.set_rollback(True)

    post()


# --- Filter forms (GET) ---------------------------------------------------------------------------

# Every list is paginated: its ``page`` parameter is hostile input too.
PAGE = Field(name="page", kind="number", low=1, high=3)


def test_hostile_filters_never_fail_leak_or_write(
    alpha: Tenant, world: dict[str, object], client_for
) -> None:
    """The filter forms (members, audit log, directory, dashboards, survey results) and the CSV
    downloads that take the same filters, queried with hostile values: never a 5xx, never a
    payload unescaped, and a query writes nothing."""
    with alpha.scope():
        # A closed survey with enough answers (k = 5) for its results page to show the filters,
        # and hostile text among its departments and answers.
        FeedbackCycle.objects.filter(pk=world["cycle_id"]).update(status="closed")
        cycle = FeedbackCycle.objects.get(pk=world["cycle_id"])
        for n, department in enumerate([SCRIPT, SCRIPT, IMG, IMG, IMG, "Sales"]):
            answer(cycle, side="junior", department=department, likert=n % 5 + 1, text=IMG)
    client = client_for(alpha.hr)
    fuzzed: dict[str, dict[str, int]] = {}
    for route in isolation.TENANT_ROUTES:
        url = _url(route, alpha, alpha.hr)
        # A CSV download takes the filters of the page it is linked from.
        page_url = url.rsplit("/", 1)[0] + "/" if url.endswith(".csv") else url
        response = client.get(page_url)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        fields = fields_posting_to(response.content.decode(), page_url, page_url, method="get")
        if fields is None:
            continue
        outcome = Outcome()
        _query_hostile(client, url, [*fields.values(), PAGE], outcome)
        fuzzed[route.name] = outcome.statuses
    print(fuzzed)
    assert {"members", "audit_log", "participant_directory", "feedback_results"} <= set(fuzzed)
    assert {"organization_dashboard_csv", "feedback_results_csv"} <= set(fuzzed)


def _query_hostile(client: Client, url: str, fields: list[Field], outcome: Outcome) -> None:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        phases=[Phase.explicit, Phase.reuse, Phase.generate],
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(data=submissions(fields, st.nothing()))
    def query(data: dict[str, Any]) -> None:
        cache.clear()
        with transaction.atomic():
            before = snapshot()
            response = client.get(url, data, follow=True)
            where = f"GET {url} {shorten(data)}"
            assert response.status_code < 500, f"{response.status_code} for {where}"
            if "html" in response["Content-Type"]:  # a CSV download is not HTML
                body = response.content.decode(errors="replace")
                assert not unescaped(body), f"unescaped {unescaped(body)} after {where}"
            assert not changed(before, snapshot()), f"wrote {changed(before, snapshot())}: {where}"
            label = str(response.status_code)
            outcome.statuses[label] = outcome.statuses.get(label, 0) + 1
            transaction.set_rollback(True)

    query()
