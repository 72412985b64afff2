"""Every route of the REST API, requested with organisation alpha's read-write key and
organisation beta's object ids: beta's objects are not found (404, the very answer a missing id
gets), never listed, never changed. Without a key every route answers 401.

The suite walks the API router (``mentorship.frame.api.api_v1_patterns``), so a new route is
covered the moment it exists. It fills a route's ids from the viewset's model (``OBJECTS``:
one object of each model in each organisation's world, made with the factories), and writes
that do not name an object in their path need a body that names beta's objects
(``WRITE_BODIES``). A route it cannot fill fails the suite with what to teach it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.apps import apps
from django.db import models
from django.urls import URLPattern, URLResolver, reverse
from rest_framework.serializers import ModelSerializer
from rest_framework.test import APIClient

from feedback.models import FeedbackCycle
from mentorship.frame.api import api_v1_patterns
from mentorship.models import AuditEvent, Invitation, Membership, Organization, Role, User
from mentorship.services import audit_record
from mentorship.tenancy import across_all_organizations
from pairings.models import Meeting, Pairing, SessionLog
from programs.models import Participant, Program, Topic
from tests.api.support import api_client
from tests.conftest import Tenant
from tests.factories import (
    FeedbackCycleFactory,
    MeetingFactory,
    PairingFactory,
    ParticipantFactory,
    ProgramFactory,
    SessionLogFactory,
    TopicFactory,
)

# Routes of /api/v1/ that are no viewset and hold no organisation's data, and why.
NO_TENANT_DATA: dict[str, str] = {
    "api_schema": "the OpenAPI schema: the same document for everyone, without a key",
    "api_docs": "the documentation page (Swagger UI over the schema), without a key",
}

# Text that only beta's world holds: none of it may appear in an answer to alpha's key.
BETA_MARKERS = ("BETAONLY", "@beta.test")

# Session notes (of any kind) are never shown by the API, to any key: not even alpha's own.
NOTES = "NOTESNEVERSHOWN"

# An id no object has (it fits the id patterns of the routes, 18 digits at most).
MISSING_ID = 987_654_321_987


# --- The worlds -----------------------------------------------------------------------------------


def build_world(tenant: Tenant, marker: str) -> dict[type[models.Model], models.Model]:
    """One object of every model the API shows, in ``tenant``, its text marked with
    ``marker``; by model. Teach a new model here (and in ``OBJECTS``)."""
    slug = tenant.organization.slug
    with tenant.scope():
        program = ProgramFactory(
            organization=tenant.organization,
            # The same slug in both organisations: a slug names a program of the key's own.
            slug="cohort",
            name=f"{marker} program",
            status=Program.Status.ACTIVE,
        )
        topic = TopicFactory(organization=tenant.organization, name=f"{marker} topic")
        junior = ParticipantFactory(
            program=program,
            membership=tenant.members[Role.PARTICIPANT],
            first_name=marker,
            last_name="Junior",
            side="junior",
            department=f"{marker} department",
            offers=[topic],
        )
        senior = ParticipantFactory(
            program=program,
            email=f"senior@{slug}.test",
            first_name=marker,
            last_name="Senior",
            side="senior",
            level=9,
        )
        pairing = PairingFactory(program=program, mentor=junior, mentee=senior)
        meeting = MeetingFactory(pairing=pairing, location=f"{marker} room")
        log = SessionLogFactory(
            pairing=pairing,
            author=junior,
            taught=f"{NOTES} taught",
            learned=f"{NOTES} learned",
            shared_notes=f"{NOTES} shared",
            private_notes=f"{NOTES} private",
        )
        log.topics.add(topic)
        cycle = FeedbackCycleFactory(program=program, title=f"{marker} survey")
        invitation = Invitation.objects.create(
            organization=tenant.organization,
            email=f"invited@{slug}.test",
            role=Role.PARTICIPANT,
            expires_at="2099-01-01T00:00:00Z",
        )
        event = audit_record(
            organization=tenant.organization,
            action=AuditEvent.Action.SETTINGS_CHANGED,
            summary=f"{marker} changed a setting",
            actor=tenant.hr,
        )
    return {
        Program: program,
        Topic: topic,
        Participant: junior,
        Membership: tenant.members[Role.PARTICIPANT],
        Invitation: invitation,
        Pairing: pairing,
        Meeting: meeting,
        SessionLog: log,
        FeedbackCycle: cycle,
        AuditEvent: event,
    }


# The models whose objects this suite can put in a route's path.
OBJECTS = {
    Program,
    Topic,
    Participant,
    Membership,
    Invitation,
    Pairing,
    Meeting,
    SessionLog,
    FeedbackCycle,
    AuditEvent,
}

World = dict[type[models.Model], models.Model]


@dataclass(frozen=True)
class Write:
    """A write whose path names no object (a create, a bulk upsert), with a body that names
    beta's objects; the statuses it may answer, and why."""

    body: Callable[[World], Any]
    expect: tuple[int, ...]
    why: str


def _person(email: str) -> dict[str, str]:
    return {"email": email, "first_name": "Hijack", "last_name": "Attempt", "side": "junior"}


# Route name → method → the writes to send. Teach new writes here. Beta's rows are checked
# unchanged after each of them.
WRITE_BODIES: dict[str, dict[str, tuple[Write, ...]]] = {
    "api-invitation-list": {
        "post": (
            Write(
                lambda w: {"email": w[Invitation].email, "role": "participant"},
                (201,),
                "alpha invites the address beta has a pending invitation for: beta's stays",
            ),
            Write(
                lambda w: {"email": w[Membership].user.email, "role": "participant"},
                (201,),
                "beta's member is no member of alpha: invited, not refused as a member",
            ),
        )
    },
    "api-participant-list": {
        "post": (
            Write(
                lambda w: {"program": w[Program].pk, **_person("new@example.com")},
                (400, 404),
                "beta's program by its id is no program of alpha's",
            ),
            Write(
                lambda w: {"program": w[Program].slug, **_person(w[Participant].email)},
                (200, 201),
                "the slug both organisations use names alpha's program; beta's participant "
                "of that email is someone else",
            ),
        )
    },
    "api-participant-bulk": {
        "post": (
            Write(
                lambda w: {"program": w[Program].pk, "participants": [_person("n@example.com")]},
                (400, 404),
                "beta's program by its id is no program of alpha's",
            ),
            Write(
                lambda w: {
                    "program": w[Program].slug,
                    "participants": [_person(w[Participant].email)],
                },
                (200, 201),
                "the slug both organisations use names alpha's program",
            ),
        )
    },
}


# --- The routes -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApiRoute:
    name: str
    route: str
    view: Any = field(compare=False, repr=False)
    actions: tuple[tuple[str, str], ...] = ()
    kwargs: tuple[str, ...] = ()

    @property
    def methods(self) -> list[str]:
        return [method for method, _ in self.actions]

    @property
    def model(self) -> type[models.Model] | None:
        """The model whose ids the route's path holds (and whose rows its list shows)."""
        queryset = getattr(self.view, "queryset", None)
        if queryset is not None:
            return queryset.model
        serializer = getattr(self.view, "serializer_class", None)
        if isinstance(serializer, type) and issubclass(serializer, ModelSerializer):
            return serializer.Meta.model
        return None

    @property
    def lookup(self) -> str:
        return getattr(self.view, "lookup_field", "pk")

    def path(self, value: object = None) -> str:
        return reverse(self.name, kwargs={k: value for k in self.kwargs} or None)


def _walk(patterns: list, prefix: str = "") -> Iterator[ApiRoute | tuple[str, str]]:
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            view = getattr(p.callback, "cls", None)
            actions = getattr(p.callback, "actions", None)
            if view is None or actions is None:
                yield (p.name or "", prefix + str(p.pattern))
                continue
            yield ApiRoute(
                name=p.name or "",
                route=prefix + str(p.pattern),
                view=view,
                actions=tuple(actions.items()),
                kwargs=tuple(p.pattern.regex.groupindex),
            )


WALKED = list(_walk(api_v1_patterns))
ROUTES = [r for r in WALKED if isinstance(r, ApiRoute)]
OTHER_PATTERNS = [r for r in WALKED if not isinstance(r, ApiRoute)]


def _problems(route: ApiRoute) -> list[str]:
    """What the suite would need to be taught to cover ``route``; empty when it can."""
    problems = []
    where = f"{route.name} ({route.route}, {route.view.__name__})"
    if route.kwargs:
        if len(route.kwargs) != 1:
            problems.append(f"{where}: a path with several ids {route.kwargs}")
        elif route.model not in OBJECTS:
            problems.append(
                f"{where}: its ids are {route.model and route.model.__name__} objects: add the "
                "model to build_world() and OBJECTS"
            )
    else:
        for method in route.methods:
            if method != "get" and not WRITE_BODIES.get(route.name, {}).get(method):
                problems.append(
                    f"{where}: {method.upper()} needs a body naming beta's objects in WRITE_BODIES"
                )
    if not route.name:
        problems.append(f"{where}: give the route a name")
    return problems


def test_every_api_route_is_known_to_this_suite() -> None:
    problems = [p for route in ROUTES for p in _problems(route)]
    undeclared = [
        f"{name or route}" for name, route in OTHER_PATTERNS if name not in NO_TENANT_DATA
    ]
    assert not problems, "Teach tests/isolation/test_api_isolation.py:\n" + "\n".join(problems)
    assert not undeclared, (
        f"Routes of /api/v1/ that are no viewset: {undeclared}. Make them viewsets "
        "(OrganizationAPIMixin first), or declare them in NO_TENANT_DATA with the reason."
    )
    assert any(r.kwargs for r in ROUTES) and any(not r.kwargs for r in ROUTES)


# --- What "beta unchanged" means ------------------------------------------------------------------


def tenant_rows(organization: Organization) -> dict[str, list[tuple]]:
    """Every row of the organisation: its own, its members' users, and each tenant model's."""
    rows: dict[str, list[tuple]] = {}
    with across_all_organizations():
        rows["organization"] = list(Organization.objects.filter(pk=organization.pk).values_list())
        users = User.objects.filter(memberships__organization=organization)
        rows["users"] = list(users.order_by("pk").values_list())
        for model in apps.get_models():
            names = {f.name for f in model._meta.concrete_fields}
            if "organization" in names:
                rows[model._meta.label] = list(
                    model._base_manager.filter(organization=organization)
                    .order_by("pk")
                    .values_list()
                )
    return rows


def _changed(before: dict[str, list[tuple]], after: dict[str, list[tuple]]) -> list[str]:
    return [label for label in before if before[label] != after[label]]


# --- The tests ------------------------------------------------------------------------------------


def _send(client: APIClient, method: str, path: str, body: Any = None) -> Any:
    if method in ("get", "head", "options"):
        return getattr(client, method)(path)
    return getattr(client, method)(path, body if body is not None else {}, format="json")


def _no_beta_text(response: Any, where: str, sent: Any = None) -> None:
    """No text of beta's world (nor notes) in the answer, except what the request itself sent
    (a created invitation shows its address)."""
    text = response.content.decode(errors="replace")
    echoed = json.dumps(sent) if sent is not None else ""
    leaked = [m for m in (*BETA_MARKERS, NOTES) if m in text and m not in echoed]
    assert not leaked, f"{where}: {leaked} in {text[:500]}"


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.name)
def test_alpha_key_cannot_reach_beta(alpha: Tenant, beta: Tenant, route: ApiRoute) -> None:
    if problems := _problems(route):
        pytest.fail("Teach tests/isolation/test_api_isolation.py:\n" + "\n".join(problems))
    alpha_world = build_world(alpha, "ALPHAONLY")
    beta_world = build_world(beta, "BETAONLY")
    client = api_client(alpha.organization, write=True)
    before = tenant_rows(beta.organization)
    if route.kwargs:
        _detail(client, route, alpha_world, beta_world)
    else:
        _collection(client, route, alpha_world, beta_world)
    changed = _changed(before, tenant_rows(beta.organization))
    assert not changed, f"{route.name}: alpha's key changed beta's {changed}"


def _detail(client: APIClient, route: ApiRoute, alpha_world: World, beta_world: World) -> None:
    """Each method with beta's id answers exactly what a missing id answers: 404."""
    assert route.model is not None
    beta_value = getattr(beta_world[route.model], route.lookup)
    missing_value = MISSING_ID if isinstance(beta_value, int) else "0" * len(str(beta_value))
    for method in route.methods:
        foreign = _send(client, method, route.path(beta_value))
        missing = _send(client, method, route.path(missing_value))
        where = f"{method.upper()} {route.path(beta_value)}"
        assert foreign.status_code == 404, (
            f"{where} with alpha's key answered {foreign.status_code}: {foreign.content[:300]!r}"
            " (if the body is checked before the object is looked up, teach WRITE_BODIES a "
            "valid one)"
        )
        assert foreign.content == missing.content, (
            f"{where}: beta's id answers {foreign.content!r}, a missing one {missing.content!r}"
        )
    if "get" in route.methods:
        # Control: alpha's own object is found, so the 404 above is the tenant's doing.
        own = getattr(alpha_world[route.model], route.lookup)
        response = client.get(route.path(own))
        assert response.status_code == 200, (
            f"GET {route.path(own)} (alpha's own) answered {response.status_code}: "
            f"{response.content[:300]!r}"
        )
        _no_beta_text(response, f"GET {route.path(own)}")


def _collection(client: APIClient, route: ApiRoute, alpha_world: World, beta_world: World) -> None:
    """A list shows alpha's objects and never beta's; a write naming beta's objects is refused
    (or lands in alpha only: the caller checks beta's rows)."""
    path = route.path()
    if "get" in route.methods:
        for query in (
            {"page_size": 200},
            {"page_size": 200, "updated_since": "2000-01-01T00:00:00Z"},
        ):
            response = client.get(path, query)
            where = f"GET {path}?{query}"
            assert response.status_code == 200, f"{where}: {response.status_code}"
            _no_beta_text(response, where)
            rows = response.json().get("results", [])
            ids = {row.get("id") for row in rows if isinstance(row, dict)}
            if route.model in OBJECTS:
                beta_id = beta_world[route.model].pk
                own_id = alpha_world[route.model].pk
                assert beta_id not in ids, f"{where} lists beta's {beta_id}"
                # Control: the list shows alpha's own object, so its absence of beta's means
                # something.
                assert own_id in ids, f"{where} does not list alpha's own {own_id}: {ids}"
    for method, writes in WRITE_BODIES.get(route.name, {}).items():
        for write in writes:
            body = write.body(beta_world)
            response = _send(client, method, path, body)
            where = f"{method.upper()} {path} {body}: {write.why}"
            assert response.status_code in write.expect, (
                f"{where}: answered {response.status_code}, expected {write.expect}: "
                f"{response.content[:300]!r}"
            )
            _no_beta_text(response, where, sent=body)


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.name)
def test_no_route_answers_without_a_key(alpha: Tenant, beta: Tenant, route: ApiRoute) -> None:
    beta_world = build_world(beta, "BETAONLY")
    known = route.kwargs and route.model in OBJECTS
    value = getattr(beta_world[route.model], route.lookup) if known else MISSING_ID
    path = route.path(value) if route.kwargs else route.path()
    before = tenant_rows(beta.organization)
    for method in route.methods:
        response = _send(APIClient(), method, path)
        assert response.status_code == 401, (method, path, response.status_code)
        assert response.json()["code"] == "missing_key"
        assert response["WWW-Authenticate"].startswith("Bearer")
    assert not _changed(before, tenant_rows(beta.organization))


def test_a_key_of_beta_reaches_beta_through_the_same_routes(alpha: Tenant, beta: Tenant) -> None:
    """Control for the whole suite: beta's own key finds beta's objects by the same paths."""
    beta_world = build_world(beta, "BETAONLY")
    client = api_client(beta.organization)
    for route in ROUTES:
        if route.kwargs and "get" in route.methods and route.model in OBJECTS:
            path = route.path(getattr(beta_world[route.model], route.lookup))
            assert client.get(path).status_code == 200, path
