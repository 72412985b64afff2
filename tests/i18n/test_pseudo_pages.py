"""Coverage of translation on pages: every page of every role, rendered in a pseudo-language
that wraps each translated string in ⟦…⟧, shows no text outside the markers but data.

The tenant pages come from the isolation suite's URL walker (``TENANT_ROUTES``), filled by its
object fillers, so a new page is checked the moment it exists. Each is requested (GET) by an
HR admin, a sponsor, a junior and a senior participant of one organisation; each role checks
the pages it can open (200 and HTML). Then the pages outside organisations: allauth's account
pages signed out and signed in, the invitation page, error pages.

"Data" is every string stored in the database at that moment, read generically from every
model's text columns (see tests/i18n/checks.py), plus language autonyms, time zone names and a
short list of technical names. A failure lists, per role and URL, the texts to mark; the same
list is written to test-artifacts/pseudo-pages-<role>.txt.

The world is built once for the module (one transaction, rolled back at the end).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from django.db import transaction
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver

from mentorship.middleware import ORGANIZATIONS_ENTERED_SESSION_KEY
from mentorship.models import Invitation, Role, User, hash_token
from mentorship.tenancy import across_all_organizations
from pairings.models import Pairing
from programs.models import Participant, Program, ProgramSponsor
from tests.conftest import Tenant, make_tenant
from tests.e2e.conftest import ARTIFACTS
from tests.factories import MembershipFactory, UserFactory
from tests.i18n.checks import stored_strings, unmarked
from tests.i18n.pseudo import pseudo_language, visible_texts
from tests.isolation.test_url_isolation import (
    _WORLDS,
    TENANT_ROUTES,
    Route,
    _object_fillers,
    _values,
)

# Marked so that pytest-django sets up the test database; each test then runs in a savepoint
# inside the module's world transaction.
pytestmark = pytest.mark.django_db

ROLES = ("hr_admin", "sponsor", "junior", "senior")
CSV_TABLES = ("funnel", "coverage", "programs")
NON_HTML = ("text/csv", "text/calendar", "application/json", "text/plain", "image/")


@dataclass
class World:
    tenant: Tenant
    users: dict[str, User]
    urls: list[tuple[Route, str]]
    invitation_token: str
    program: str
    clients: dict[str, Client] = field(default_factory=dict)


def signed_in(user: User) -> Client:
    """A client signed in as ``user``, already inside their organisations (as ``client_for``)."""
    client = Client()
    client.force_login(user)
    session = client.session
    with across_all_organizations():
        session[ORGANIZATIONS_ENTERED_SESSION_KEY] = list(
            user.memberships.values_list("organization_id", flat=True)
        )
    session.save()
    return client


def _build() -> World:
    tenant = make_tenant("alpha")
    junior = tenant.participant
    # The isolation suite's world, with the junior as its viewer: a program, their active pair
    # with a senior, a meeting, a session log, a survey, a concern…
    _object_fillers()["program_slug"](tenant, junior)
    world = _WORLDS[(tenant.organization.pk, junior.pk)]
    urls = [
        (route, route.fill(_values(tenant, route, tenant.organization.slug, junior)))
        for route in TENANT_ROUTES
    ]
    with tenant.scope():
        pairing = Pairing.objects.select_related("mentee").get(pk=world["pairing_id"])
        program = Program.objects.get(slug=world["program_slug"])
        # The pair's senior signs in too.
        senior_user = UserFactory(email=pairing.mentee.email)
        senior_membership = MembershipFactory(
            organization=tenant.organization, user=senior_user, is_participant=True
        )
        Participant.objects.filter(pk=pairing.mentee_id).update(membership=senior_membership)
        # The sponsor sponsors the program (digest settings, sponsor dashboards).
        ProgramSponsor.objects.create(
            organization=tenant.organization,
            program=program,
            membership=tenant.members[Role.SPONSOR],
        )
        token = "pseudo-invitation-token"
        Invitation.objects.create(
            organization=tenant.organization,
            email="invitee@example.com",
            role=Role.PARTICIPANT,
            token_hash=hash_token(token),
            expires_at="2099-01-01T00:00:00Z",
        )
    users = {
        "hr_admin": tenant.hr,
        "sponsor": tenant.sponsor,
        "junior": junior,
        "senior": senior_user,
    }
    return World(
        tenant=tenant,
        users=users,
        urls=urls,
        invitation_token=token,
        program=str(world["program_slug"]),
    )


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker) -> Iterator[World]:
    with django_db_blocker.unblock():
        _WORLDS.clear()
        with transaction.atomic():
            built = _build()
            built.clients = {role: signed_in(user) for role, user in built.users.items()}
            yield built
            transaction.set_rollback(True)
        _WORLDS.clear()


@dataclass
class Findings:
    checked: list[str] = field(default_factory=list)
    failing: dict[str, list[str]] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)

    def report(self, who: str) -> str:
        lines = [
            f"{who}: {len(self.checked)} pages checked, {len(self.failing)} with unmarked text"
        ]
        for url, texts in self.failing.items():
            lines.append(f"  {url}")
            lines += [f"      {text!r}" for text in texts]
        return "\n".join(lines)

    def write(self, name: str, who: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / f"pseudo-pages-{name}.txt").write_text(
            self.report(who)
            + "\n\nChecked:\n"
            + "\n".join(f"  {u}" for u in self.checked)
            + "\n\nNot checked:\n"
            + "\n".join(f"  {u}: {why}" for u, why in self.skipped.items())
            + "\n",
            encoding="utf-8",
        )


def _csv_header(response) -> list[str]:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    first = content.decode("utf-8-sig").splitlines()[:1]
    return next(csv.reader(io.StringIO(first[0]))) if first else []


def check(client: Client, url: str, findings: Findings, data: set[str], **extra) -> set[str]:
    """Request ``url`` and record what it shows unmarked. Returns the data used (refreshed when
    a page seems to fail: the request itself may have stored new values)."""
    try:
        response = client.get(url, **extra)
    except Exception as error:  # the pseudo-language broke the page: report it with the rest
        findings.checked.append(url)
        findings.failing[url] = [f"ERROR {type(error).__name__}: {error}"[:300]]
        return data
    kind = response.get("Content-Type", "")
    if response.status_code != 200:
        findings.skipped[url] = f"HTTP {response.status_code}"
        return data
    if kind.startswith("text/csv"):
        texts = _csv_header(response)
        where = f"{url} (CSV header)"
    elif any(kind.startswith(k) for k in NON_HTML) or response.streaming:
        findings.skipped[url] = kind
        return data
    else:
        texts = visible_texts(response.content.decode())
        where = url
    findings.checked.append(where)
    found = unmarked(texts, data)
    if found:
        data = stored_strings()
        found = unmarked(texts, data)
    if found:
        findings.failing[where] = sorted(set(found))
    return data


@pytest.mark.parametrize("role", ROLES)
def test_every_tenant_page_is_translated(world: World, role: str) -> None:
    client = world.clients[role]
    findings = Findings()
    data = stored_strings()
    with pseudo_language():
        for _route, url in world.urls:
            data = check(client, url, findings, data)
        # The dashboards' CSV downloads of every table (headers are translated).
        if role in ("hr_admin", "sponsor"):
            for table in CSV_TABLES:
                for base in (
                    "/o/alpha/dashboard/",
                    f"/o/alpha/programs/{world.program}/dashboard/",
                ):
                    data = check(client, f"{base}{table}.csv", findings, data)
    findings.write(role, f"{role} ({world.users[role].email})")
    assert findings.checked, f"{role} could open no page at all"
    assert not findings.failing, findings.report(role)


def _account_routes() -> list[str]:
    """allauth's pages (and ours under /accounts/) that take no argument."""

    def walk(patterns: list, prefix: str) -> Iterator[str]:
        for p in patterns:
            route = prefix + str(p.pattern)
            if "<" in route or route.startswith("^"):
                continue
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, route)
            elif isinstance(p, URLPattern):
                yield "/" + route

    return sorted({r for r in walk(get_resolver().url_patterns, "") if r.startswith("/accounts/")})


GLOBAL_PAGES = ["/", "/sso/", "/accounts/language/"]


def test_pages_outside_organisations_are_translated(world: World) -> None:
    """Signed out and signed in (as the junior): the account pages, sign-in, sign-up, password
    reset, single sign-on discovery, the invitation page."""
    findings = Findings()
    data = stored_strings()
    invitation = f"/invitations/{world.invitation_token}/"
    pages = [*GLOBAL_PAGES, *_account_routes(), invitation, "/invitations/not-a-token/"]
    with pseudo_language():
        for who, client in (("signed out", Client()), ("junior", world.clients["junior"])):
            for url in pages:
                data = check(client, url, findings, data)
            # A page that answers with an error status is still a page people read.
            response = client.get("/invitations/not-a-token/")
            if response.status_code == 404 and "/invitations/not-a-token/" in findings.skipped:
                found = unmarked(visible_texts(response.content.decode()), data)
                findings.checked.append(f"/invitations/not-a-token/ ({who})")
                if found:
                    findings.failing[f"/invitations/not-a-token/ ({who})"] = found
    findings.write("global", "pages outside organisations")
    assert len(findings.checked) >= 10, findings.skipped
    assert not findings.failing, findings.report("pages outside organisations")


def test_error_pages_are_translated(world: World) -> None:
    """404 (unknown page, signed out and in), 403 (a member opening the operator admin), and
    the other error templates (400, 429, 500, 503) rendered as Django renders them."""
    data = stored_strings()
    failing: dict[str, list[str]] = {}
    seen = 0
    with pseudo_language():
        for who, client in (("signed out", Client()), ("junior", world.clients["junior"])):
            for url, status in (("/no-such-page/", 404), ("/o/alpha/no-such-page/", 404)):
                response = client.get(url)
                assert response.status_code == status, (who, url, response.status_code)
                seen += 1
                found = unmarked(visible_texts(response.content.decode()), data)
                if found:
                    failing[f"{url} ({who}, {status})"] = found
        response = world.clients["junior"].get("/admin/login/")
        assert response.status_code == 403
        seen += 1
        found = unmarked(visible_texts(response.content.decode()), data)
        if found:
            failing["/admin/login/ (junior, 403)"] = found
        request = RequestFactory().get("/")
        from django.contrib.auth.models import AnonymousUser

        request.user = AnonymousUser()
        for name in ("400.html", "403.html", "404.html", "429.html", "500.html", "503.html"):
            html = render_to_string(name, {}, request=request if name != "500.html" else None)
            seen += 1
            found = unmarked(visible_texts(html), data)
            if found:
                failing[f"template {name}"] = found
    lines = [
        f"{where}\n" + "\n".join(f"    {t!r}" for t in texts) for where, texts in failing.items()
    ]
    assert not failing, f"{len(failing)} of {seen} error pages show unmarked text:\n" + "\n".join(
        lines
    )
