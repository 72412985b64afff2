"""Every URL pattern of the project, requested across tenants, answers 404.

The suite walks the whole URL configuration. Patterns under ``/o/<org_slug>/`` are filled with
organisation beta's slug and object ids and requested by each role of organisation alpha; then
with alpha's slug and beta's ids. Anything else must be listed in ``GLOBAL_PATTERNS`` with the
reason it holds no tenant data. A pattern the suite cannot fill fails the suite: a new view is
covered the moment it exists, or the suite says what to teach it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from feedback.models import Concern, FeedbackCycle, SurveyInvitation, SurveyTemplate
from mentorship.api.models import OrganizationAPIKey
from mentorship.api.services import api_key_create
from mentorship.events.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from mentorship.models import Invitation, Membership, Notification, Role, User
from pairings.models import MatchRun, MeetingProposal, Pairing
from programs.models import (
    ImportJob,
    LearningObjective,
    Program,
    SessionGuide,
    TrainingModule,
)
from tests.conftest import Tenant
from tests.factories import (
    MeetingFactory,
    PairingFactory,
    ParticipantFactory,
    ProgramFactory,
    SessionLogFactory,
    TopicFactory,
)

# Prefixes of routes that carry no organisation's data, and why.
GLOBAL_PATTERNS: dict[str, str] = {
    "": "the home page redirects to the viewer's own organisations",
    "healthz": "reports the database and broker state only",
    "invitations/<str:token>/": "found by its secret token; tested in test_invitations",
    "accounts/": "django-allauth: the signed-in user's own account, no tenant data",
    "admin/": "the operator admin: staff only (see test_admin_refuses_tenant_users)",
    "calendar/": "personal calendar feed, found by its secret token; tested in test_meetings",
    "proposals/<str:token>/": (
        "a proposed time's signed single-use link: the signature names the proposal, its "
        "organisation and recipient; tested in tests/pairings/proposals"
    ),
    "sso/": "home-realm discovery: every address without live SSO gets the same answer",
    "o/<slug:slug>/sso/": "starts a live single sign-on; unknown and not live give the same 404",
    "scim/v2/": "SCIM: the bearer token names the organisation; see test_scim_isolation",
    "api/": "the REST API: the key names the organisation; see test_api_isolation",
    "^api/": "any other path under /api/: the API's JSON 404, the same for everyone",
}

TENANT_PREFIX = "o/<slug:org_slug>/"


def _object_fillers() -> dict[str, Callable[[Tenant, User], object]]:
    """How to get an object id of a tenant for each URL keyword. Teach new keywords here.

    Each filler gets the viewer too: where a page shows only the viewer's own rows
    (notifications), the other tenant's row is made theirs, so that only the tenant scope
    stands between them and it."""

    def notification(t: Tenant, viewer: User) -> int:
        with t.scope():
            return Notification.objects.create(
                organization=t.organization, recipient=viewer, subject="Hello"
            ).pk

    def invitation(t: Tenant, viewer: User) -> int:
        with t.scope():
            return Invitation.objects.create(
                organization=t.organization,
                email="someone@example.com",
                role=Role.PARTICIPANT,
                token_hash=f"{t.organization.slug:0<64}",
                expires_at="2099-01-01T00:00:00Z",
            ).pk

    def world(t: Tenant, viewer: User) -> dict[str, object]:
        """One program of the tenant with everything its URLs point at. Where the viewer is a
        member of the tenant they take part in it, so the control below can reach their pages."""
        key = (t.organization.pk, viewer.pk)
        if key not in _WORLDS:
            with t.scope():
                membership = (
                    Membership.objects.filter(user=viewer).first() or t.members[Role.PARTICIPANT]
                )
                program = ProgramFactory(
                    organization=t.organization,
                    slug=f"prog-{t.organization.slug}",
                    name="Prog",
                    status="enrolling",
                )
                topic = TopicFactory(organization=t.organization, name="Topic")
                participant = ParticipantFactory(
                    program=program,
                    membership=membership,
                    email=membership.user.email,
                    first_name="P",
                    last_name="Q",
                    side="junior",
                )
                _WORLDS[key] = {
                    "program_slug": program.slug,
                    "participant_id": participant.pk,
                    "topic_id": topic.pk,
                    "module_id": TrainingModule.objects.create(
                        organization=t.organization, program=program, title="M", body="b"
                    ).pk,
                    "objective_id": LearningObjective.objects.create(
                        organization=t.organization,
                        participant=participant,
                        topic=topic,
                        success_criteria="s",
                        baseline_rating=2,
                    ).pk,
                    "job_id": ImportJob.objects.create(
                        organization=t.organization, program=program, filename="f.csv"
                    ).pk,
                }
                senior = ParticipantFactory(
                    program=program,
                    email=f"senior@{t.organization.slug}.test",
                    first_name="S",
                    last_name="T",
                    side="senior",
                    level=9,
                )
                # The viewer is the junior of an active pair, so their pair pages are reachable.
                pairing = PairingFactory(
                    program=program,
                    mentor=participant,
                    mentee=senior,
                    status=Pairing.Status.ACTIVE,
                )
                _WORLDS[key]["pairing_id"] = pairing.pk
                _WORLDS[key]["meeting_id"] = MeetingFactory(
                    pairing=pairing,
                    starts_at="2030-01-01T10:00:00Z",
                    uid=f"m-{t.organization.slug}-{viewer.pk}@test",
                ).pk
                _WORLDS[key]["log_id"] = SessionLogFactory(
                    pairing=pairing,
                    author=participant,
                    date="2029-12-01",
                    minutes=45,
                ).pk
                from feedback.services.cycles import cycle_create
                from feedback.services.templates import templates_ensure_builtin

                templates_ensure_builtin(organization=t.organization)
                cycle = cycle_create(
                    program=program,
                    template=SurveyTemplate.objects.get(builtin_key="monthly-check-in"),
                    opens_at="2020-01-01T00:00:00Z",
                )
                FeedbackCycle.objects.filter(pk=cycle.pk).update(
                    status="open", opened_at="2020-01-01T00:00:00Z"
                )
                _WORLDS[key]["cycle_id"] = cycle.pk
                _WORLDS[key]["template_id"] = cycle.version.template_id
                _WORLDS[key]["concern_id"] = Concern.objects.create(
                    organization=t.organization, participant=participant, kind="help"
                ).pk
                _WORLDS[key]["survey_id"] = SurveyInvitation.objects.create(
                    organization=t.organization, cycle=cycle, participant=participant
                ).pk
                _WORLDS[key]["run_id"] = MatchRun.objects.create(
                    organization=t.organization, program=program, status=MatchRun.Status.DONE
                ).pk
        return _WORLDS[key]

    def from_world(name: str) -> Callable[[Tenant, User], object]:
        return lambda t, viewer: world(t, viewer)[name]

    def identity_row(model_name: str, **fields: object) -> Callable[[Tenant, User], object]:
        """A claimed domain, SCIM token or SCIM group of the tenant (identity settings)."""

        def make(t: Tenant, viewer: User) -> int:
            from mentorship.identity import models as identity

            slug = t.organization.slug
            values = {k: v.format(slug=slug) for k, v in fields.items()}
            with t.scope():
                model = getattr(identity, model_name)
                row = model.objects.filter(**values).first()
                return (row or model.objects.create(organization=t.organization, **values)).pk

        return make

    def api_key(t: Tenant, viewer: User) -> str:
        """A live API key of the tenant, named in URLs by its prefix (its pk holds the hash)."""
        with t.scope():
            key = OrganizationAPIKey.objects.filter(revoked=False).first()
            if key is None:
                key, _ = api_key_create(
                    organization=t.organization, name="Key", can_write=True, actor=None
                )
            return key.prefix

    def webhook_endpoint(t: Tenant, viewer: User) -> int:
        with t.scope():
            endpoint = WebhookEndpoint.objects.first() or WebhookEndpoint.objects.create(
                organization=t.organization,
                url=f"https://hooks.{t.organization.slug}.example/in",
                event_types=["pairing.active"],
            )
            return endpoint.pk

    def webhook_delivery(t: Tenant, viewer: User) -> int:
        webhook_endpoint(t, viewer)
        with t.scope():
            delivery = WebhookDelivery.objects.first()
            if delivery is None:
                event = WebhookEvent.objects.create(
                    organization=t.organization,
                    message_id=f"msg_{t.organization.slug}",
                    event_type="pairing.active",
                    payload={"id": 1},
                )
                delivery = WebhookDelivery.objects.create(
                    organization=t.organization,
                    endpoint=WebhookEndpoint.objects.first(),
                    event=event,
                    status=WebhookDelivery.Status.FAILED,
                    attempts=1,
                )
            return delivery.pk

    def proposal(t: Tenant, viewer: User) -> int:
        """An open proposal of the world's pair, made by the viewer's partner to the viewer."""
        pairing_id = world(t, viewer)["pairing_id"]
        with t.scope():
            pairing = Pairing.objects.get(pk=pairing_id)
            row = MeetingProposal.objects.filter(pairing=pairing).first()
            return (
                row
                or MeetingProposal.objects.create(
                    organization=t.organization,
                    pairing=pairing,
                    proposed_by=pairing.mentee,
                    slots=["2030-02-01T10:00:00+00:00"],
                    expires_at="2030-02-01T10:00:00Z",
                )
            ).pk

    def guide(t: Tenant, viewer: User) -> int:
        program_slug = world(t, viewer)["program_slug"]
        with t.scope():
            program = Program.objects.get(slug=program_slug)
            row = SessionGuide.objects.filter(program=program).first()
            return (
                row
                or SessionGuide.objects.create(
                    organization=t.organization, program=program, position=1, title="Start"
                )
            ).pk

    return {
        "membership_id": lambda t, viewer: t.members[Role.PARTICIPANT].pk,
        "proposal_id": proposal,
        "guide_id": guide,
        "notification_id": notification,
        "invitation_id": invitation,
        "target": lambda t, viewer: "draft",
        "table": lambda t, viewer: "funnel",
        "domain_id": identity_row("ClaimedDomain", domain="{slug}.example"),
        "token_id": identity_row("ScimToken", name="T", prefix="p", token_hash="{slug:0<64}"),
        "group_id": identity_row("ScimGroup", display_name="G"),
        "prefix": api_key,
        "endpoint_id": webhook_endpoint,
        "delivery_id": webhook_delivery,
        **{
            name: from_world(name)
            for name in (
                "program_slug",
                "participant_id",
                "topic_id",
                "module_id",
                "objective_id",
                "job_id",
                "pairing_id",
                "meeting_id",
                "log_id",
                "run_id",
                "survey_id",
                "cycle_id",
                "concern_id",
                "template_id",
            )
        },
    }


# Keywords naming a choice (a state, a table), not an object: the same value in every tenant.
NOT_OBJECTS = ("target", "table")

# Objects made for one test; emptied before each (the database is rolled back between tests).
_WORLDS: dict[tuple[int, int], dict[str, object]] = {}


@pytest.fixture(autouse=True)
def _fresh_worlds() -> None:
    _WORLDS.clear()


@dataclass(frozen=True)
class Route:
    route: str
    name: str

    @property
    def kwargs(self) -> list[str]:
        return re.findall(r"<(?:\w+:)?(\w+)>", self.route)

    def fill(self, values: dict[str, object]) -> str:
        return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), self.route)


def _walk(patterns: list, prefix: str = "") -> Iterator[Route]:
    for p in patterns:
        route = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            if any(route.startswith(g) for g in GLOBAL_PATTERNS if g.endswith("/") and g):
                yield Route(route=route, name="(global include)")
                continue
            yield from _walk(p.url_patterns, route)
        elif isinstance(p, URLPattern):
            yield Route(route=route, name=p.name or "")


ALL_ROUTES = list(_walk(get_resolver().url_patterns))
TENANT_ROUTES = [r for r in ALL_ROUTES if r.route.startswith(TENANT_PREFIX)]


def test_every_route_is_tenant_scoped_or_declared_global() -> None:
    undeclared = [
        r.route
        for r in ALL_ROUTES
        if not r.route.startswith(TENANT_PREFIX)
        and r.route not in GLOBAL_PATTERNS
        and not any(r.route.startswith(g) for g in GLOBAL_PATTERNS if g.endswith("/") and g)
    ]
    assert not undeclared, (
        f"New URL patterns outside /o/<org_slug>/: {undeclared}. Put organisation data under "
        "/o/<org_slug>/, or declare the pattern in GLOBAL_PATTERNS with the reason it is safe."
    )


def test_the_suite_can_fill_every_tenant_route() -> None:
    fillers = _object_fillers()
    unknown = {
        k: r.route for r in TENANT_ROUTES for k in r.kwargs if k != "org_slug" and k not in fillers
    }
    assert not unknown, (
        f"The isolation suite does not know how to fill {unknown}: add the keyword to "
        "_object_fillers() in tests/isolation/test_url_isolation.py."
    )
    assert len(TENANT_ROUTES) >= 10


def _values(tenant: Tenant, route: Route, slug: str, viewer: User) -> dict[str, object]:
    fillers = _object_fillers()
    values: dict[str, object] = {"org_slug": slug}
    for key in route.kwargs:
        if key != "org_slug":
            values[key] = fillers[key](tenant, viewer)
    return values


@pytest.mark.parametrize("route", TENANT_ROUTES, ids=lambda r: r.name or r.route)
@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_other_tenants_urls_answer_404(
    route: Route, role: Role, alpha: Tenant, beta: Tenant, client_for
) -> None:
    client = client_for(alpha.user(role))
    beta_values = _values(beta, route, beta.organization.slug, alpha.user(role))
    for method in ("get", "post"):
        url = route.fill(beta_values)
        status = getattr(client, method)(url).status_code
        assert status == 404, f"{method.upper()} {url} as {role}: {status}"
    if not set(route.kwargs) - {"org_slug", *NOT_OBJECTS}:
        return  # nothing of beta's in the URL but its slug, checked above
    own_values = _values(alpha, route, alpha.organization.slug, alpha.user(role))
    for method in ("get", "post"):
        url = route.fill({**beta_values, "org_slug": alpha.organization.slug})
        status = getattr(client, method)(url).status_code
        if status == 405:
            # A method the view never accepts is refused before any lookup; it must then be
            # refused for the viewer's own object too, so the answer says nothing about beta's.
            own_status = getattr(client, method)(route.fill(own_values)).status_code
            assert own_status == 405, f"{method.upper()} {url}: 405 only for a foreign id"
            continue
        assert status == 404, f"{method.upper()} {url} as {role}: {status}"


@pytest.mark.parametrize("route", TENANT_ROUTES, ids=lambda r: r.name or r.route)
def test_own_tenant_urls_resolve_for_hr_admin(route: Route, alpha: Tenant, client_for) -> None:
    """Control: the same routes filled with alpha's own ids work for one method at least, so
    the 404s above come from isolation and not from a broken filler."""
    # The HR admin also sponsors, for pages only sponsors use (the digest settings).
    with alpha.scope():
        Membership.objects.filter(pk=alpha.members[Role.HR_ADMIN].pk).update(is_sponsor=True)
    client = client_for(alpha.hr)
    # The tenant's world makes the viewer a participant too, for pages only participants use.
    _object_fillers()["program_slug"](alpha, alpha.hr)
    url = route.fill(_values(alpha, route, alpha.organization.slug, alpha.hr))
    statuses = {client.get(url).status_code, client.post(url).status_code}
    assert statuses - {404, 405}, f"{url} answered {statuses} to its own HR admin"


def test_unknown_organisation_and_non_member_get_the_same_404(
    alpha: Tenant, beta: Tenant, client_for
) -> None:
    client = client_for(alpha.hr)
    unknown = client.get("/o/does-not-exist/")
    foreign = client.get(f"/o/{beta.organization.slug}/")
    assert unknown.status_code == foreign.status_code == 404

    def masked(body: bytes) -> bytes:
        # The CSRF token differs per response; the language switch's "next" repeats the path
        # the visitor asked for (their own input, not the organisation's).
        body = re.sub(rb"[A-Za-z0-9]{64}", b"TOKEN", body)
        return re.sub(rb'name="next" value="[^"]*"', b'name="next" value="PATH"', body)

    assert masked(unknown.content) == masked(foreign.content)


def test_removed_member_loses_access(alpha: Tenant, client_for) -> None:
    membership = alpha.members[Role.PARTICIPANT]
    client = client_for(membership.user)
    assert client.get(f"/o/{alpha.organization.slug}/").status_code == 200
    with alpha.scope():
        membership.removed_at = "2026-01-01T00:00:00Z"
        membership.save()
    assert client.get(f"/o/{alpha.organization.slug}/").status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in_without_learning_if_the_slug_exists(
    alpha: Tenant, client
) -> None:
    real = client.get(f"/o/{alpha.organization.slug}/members/")
    fake = client.get("/o/nope/members/")
    assert real.status_code == fake.status_code == 302
    assert real["Location"].startswith("/accounts/login/")


def test_admin_refuses_tenant_users(alpha: Tenant, client_for) -> None:
    for role in Role:
        response = client_for(alpha.user(role)).get("/admin/mentorship/membership/")
        assert response.status_code == 302
        assert "/admin/login/" in response["Location"]
