"""The organisation home page, per role: a participant's next steps, an HR admin's "what needs
attention", a sponsor's way to the dashboard; nothing of another organisation; and a number of
queries that does not grow with the data."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from feedback import selectors as feedback_selectors
from feedback.models import Concern, FeedbackCycle, SurveyInvitation, SurveyTemplate
from feedback.services import templates as template_services
from mentorship.models import Membership, Role
from pairings.models import Meeting, Pairing
from programs.models import (
    LearningObjective,
    Participant,
    Program,
    TrainingCompletion,
    TrainingModule,
)
from tests.conftest import Tenant
from tests.factories import (
    FeedbackCycleFactory,
    MeetingFactory,
    MembershipFactory,
    PairingFactory,
    ParticipantFactory,
    ProgramFactory,
    TopicFactory,
    UserFactory,
)
from tests.queries import assert_same_queries, run

LONDON = "Europe/London"


@dataclass
class World:
    """What one call of :func:`grow` made, for the assertions."""

    programs: list[Program] = field(default_factory=list)
    pairs: list[Pairing] = field(default_factory=list)
    at_risk: list[Pairing] = field(default_factory=list)
    meetings: list[Meeting] = field(default_factory=list)
    invitations: list[SurveyInvitation] = field(default_factory=list)
    cycles: list[FeedbackCycle] = field(default_factory=list)
    modules: list[TrainingModule] = field(default_factory=list)


def _person(
    tenant: Tenant,
    program: Program,
    *,
    first: str,
    last: str,
    side: str,
    membership: Membership | None = None,
    status: str = Participant.Status.APPROVED,
    matched: bool = False,
) -> Participant:
    return ParticipantFactory(
        program=program,
        membership=membership,
        email=membership.user.email if membership else f"{first}.{last}@example.com".lower(),
        first_name=first,
        last_name=last,
        side=side,
        level=9 if side == "senior" else 2,
        status=status,
        matched=matched,
        timezone=LONDON,
    )


def grow(tenant: Tenant, n: int, *, start: int = 0, meeting_at: datetime | None = None) -> World:
    """``n`` active programs of ``tenant``, each giving its participant member a pair (with a
    meeting to come, an objective, a required module and an open survey) and giving HR
    something to do: an application, an approved person without a pair, a quiet pair, an open
    concern and a survey closing within the week."""
    world = World()
    now = timezone.now()
    org = tenant.organization
    with tenant.scope():
        template_services.templates_ensure_builtin(organization=org)
        version = (
            SurveyTemplate.objects.get(builtin_key="monthly-check-in")
            .versions.order_by("-number")
            .first()
        )
        for i in range(start, start + n):
            program = ProgramFactory(
                organization=org,
                slug=f"{org.slug}-program-{i}",
                name=f"{org.slug.capitalize()} program {i}",
                status=Program.Status.ACTIVE,
            )
            world.programs.append(program)
            me = _person(
                tenant,
                program,
                first="Jo",
                last="Junior",
                side="junior",
                membership=tenant.members[Role.PARTICIPANT],
                matched=True,
            )
            senior = MembershipFactory(
                organization=org,
                user=UserFactory(first_name="Sam", last_name=f"Senior{i}"),
                is_participant=True,
            )
            partner = _person(
                tenant, program, first="Sam", last=f"Senior{i}", side="senior", matched=True
            )
            partner.membership = senior
            partner.save(update_fields=["membership"])
            pair = PairingFactory(
                program=program,
                mentor=me,
                mentee=partner,
                status=Pairing.Status.ACTIVE,
                last_met_at=now - timedelta(days=2),
            )
            world.pairs.append(pair)
            world.meetings.append(
                MeetingFactory(
                    pairing=pair,
                    starts_at=(meeting_at or now + timedelta(days=3)) + timedelta(days=i),
                    uid=f"meeting-{uuid.uuid4()}@test",
                )
            )
            topic = TopicFactory(organization=org, name=f"{org.slug} topic {i}")
            LearningObjective.objects.create(
                organization=org,
                participant=me,
                topic=topic,
                success_criteria="Use it every week",
                baseline_rating=2,
                progress=40,
            )
            world.modules.append(
                TrainingModule.objects.create(
                    organization=org,
                    program=program,
                    title=f"{org.slug} module {i}",
                    body="Listen first.",
                    required_for_juniors=True,
                )
            )
            cycle = FeedbackCycleFactory(
                program=program,
                version=version,
                title=f"{org.slug} check-in {i}",
                opens_at=now - timedelta(days=4),
                opened_at=now - timedelta(days=4),
                open_days=7,
                status=FeedbackCycle.Status.OPEN,
            )
            world.cycles.append(cycle)
            world.invitations.append(
                SurveyInvitation.objects.create(organization=org, cycle=cycle, participant=me)
            )
            # HR's side: an application, an approved person nobody matched yet, a pair quiet
            # for longer than PAIR_INACTIVITY_DAYS and a concern nobody resolved.
            _person(
                tenant,
                program,
                first="Ann",
                last=f"Applicant{i}",
                side="junior",
                status=Participant.Status.APPLIED,
            )
            _person(tenant, program, first="Una", last=f"Unmatched{i}", side="senior")
            quiet = PairingFactory(
                program=program,
                mentor=_person(
                    tenant, program, first="Quinn", last=f"Quiet{i}", side="junior", matched=True
                ),
                mentee=_person(
                    tenant, program, first="Rae", last=f"Retired{i}", side="senior", matched=True
                ),
                status=Pairing.Status.ACTIVE,
                created_at=now - timedelta(days=60),
            )
            world.at_risk.append(quiet)
            Concern.objects.create(
                organization=org, participant=partner, kind=Concern.Kind.HELP, text="Help"
            )
    return world


def page_of(client, tenant: Tenant) -> str:
    response = client.get(f"/o/{tenant.organization.slug}/")
    assert response.status_code == 200
    return response.content.decode()


# --- Participant ---------------------------------------------------------------------------------


def test_a_participant_sees_partner_meeting_objective_survey_training_and_log_button(
    alpha: Tenant, client_for
) -> None:
    meeting_at = datetime(timezone.now().year + 2, 6, 4, 9, 0, tzinfo=UTC)
    world = grow(alpha, 1, meeting_at=meeting_at)
    pair, meeting, invitation = world.pairs[0], world.meetings[0], world.invitations[0]
    page = page_of(client_for(alpha.participant), alpha)

    assert "Your pair with Sam Senior0" in page
    assert f'href="/o/alpha/pairs/{pair.pk}/"' in page
    assert "reverse mentee" in page and "Active" in page
    # 09:00 UTC is 10:00 summer time in London, the participant's timezone.
    assert "10:00 BST" in page and "09:00 UTC" not in page
    assert f'href="/o/alpha/pairs/{pair.pk}/meetings/#meeting-{meeting.pk}"' in page
    assert "alpha topic 0" in page and "40% done" in page
    assert "Update your progress on alpha topic 0" in page
    assert f'href="/o/alpha/surveys/{invitation.pk}/"' in page
    assert "Answer “alpha check-in 0”" in page
    module = world.modules[0]
    assert f'href="/o/alpha/programs/alpha-program-0/training/{module.pk}/"' in page
    assert "alpha module 0" in page
    assert f'href="/o/alpha/pairs/{pair.pk}/sessions/new/"' in page
    assert "Log a session with Sam Senior0" in page
    # A participant is not shown HR's work.
    assert "What needs attention" not in page


def test_done_things_leave_the_participant_home(alpha: Tenant, client_for) -> None:
    world = grow(alpha, 1)
    with alpha.scope():
        me = world.pairs[0].mentor
        TrainingCompletion.objects.create(
            organization=alpha.organization, module=world.modules[0], participant=me
        )
        SurveyInvitation.objects.filter(pk=world.invitations[0].pk).update(answered=True)
        Meeting.objects.filter(pk=world.meetings[0].pk).update(cancelled_at=timezone.now())
    page = page_of(client_for(alpha.participant), alpha)
    assert "alpha module 0" not in page and "Training to do" not in page
    assert "alpha check-in 0" not in page
    assert "No survey is waiting for you" in page
    assert "No meeting scheduled" in page
    assert f'href="/o/alpha/pairs/{world.pairs[0].pk}/meetings/new/"' in page


def test_a_participant_without_a_pair_is_told_what_happens_next(alpha: Tenant, client_for) -> None:
    with alpha.scope():
        program = ProgramFactory(
            organization=alpha.organization,
            slug="waiting",
            name="Waiting room",
            status=Program.Status.MATCHING,
        )
        _person(
            alpha,
            program,
            first="Jo",
            last="Junior",
            side="junior",
            membership=alpha.members[Role.PARTICIPANT],
        )
    page = page_of(client_for(alpha.participant), alpha)
    assert "You are not paired yet: HR admins publish pairs after matching." in page
    assert "Log a session" not in page
    assert 'href="/o/alpha/programs/waiting/me/objectives/new/"' in page
    assert "No meeting yet" in page


def test_a_proposed_pair_says_what_it_waits_for_and_offers_no_log(
    alpha: Tenant, client_for
) -> None:
    world = grow(alpha, 1)
    with alpha.scope():
        Pairing.objects.filter(pk=world.pairs[0].pk).update(status=Pairing.Status.PROPOSED)
    page = page_of(client_for(alpha.participant), alpha)
    assert 'Status: <span class="status">Proposed</span>' in page
    assert "Waiting for Sam Senior0 to confirm. Meanwhile, read and accept the agreement" in page
    assert "Log a session" not in page  # the service would refuse it before the pair starts


def test_a_participant_in_no_program_is_shown_where_to_apply(alpha: Tenant, client_for) -> None:
    page = page_of(client_for(alpha.participant), alpha)
    assert "You are not in a program yet" in page
    assert 'href="/o/alpha/programs/"' in page


# --- HR admin ------------------------------------------------------------------------------------


def test_an_hr_admin_sees_what_needs_attention_each_linked(alpha: Tenant, client_for) -> None:
    world = grow(alpha, 1)
    program, quiet, cycle = world.programs[0], world.at_risk[0], world.cycles[0]
    page = page_of(client_for(alpha.hr), alpha)

    assert "What needs attention" in page
    assert (
        '<a href="/o/alpha/programs/alpha-program-0/participants/?status=applied">'
        "1 application to decide in Alpha program 0</a>"
    ) in page
    assert (
        '<a href="/o/alpha/programs/alpha-program-0/matching/">'
        "1 person to match in Alpha program 0</a>"
    ) in page
    assert f'href="/o/alpha/pairs/{quiet.pk}/">Quinn Quiet0 and Rae Retired0</a>' in page
    assert "never met" in page
    # The partner of the junior raised a concern: their pair is at risk for that reason.
    assert f'href="/o/alpha/pairs/{world.pairs[0].pk}/"' in page and "an open concern" in page
    assert f'href="/o/alpha/programs/{program.slug}/feedback/{cycle.pk}/"' in page
    closes = feedback_selectors.closes_at(cycle)
    assert (
        f'alpha check-in 0 in Alpha program 0</a>, closes on <time datetime="{closes:%Y-%m-%d}'
        in page
    )
    assert f"{closes.day} {closes:%B %Y}</time>" in page
    assert '<a href="/o/alpha/concerns/">1 open concern to read and resolve</a>' in page
    # The administration links stay.
    assert 'href="/o/alpha/members/"' in page and "No unread notifications" in page


def test_an_hr_admin_with_nothing_to_do_is_told_so(alpha: Tenant, client_for) -> None:
    with alpha.scope():
        program = ProgramFactory(
            organization=alpha.organization, slug="calm", name="Calm", status=Program.Status.ACTIVE
        )
        # Not due yet: closes in ten days. And an on-demand survey HR never scheduled.
        version = (
            template_services.templates_ensure_builtin(organization=alpha.organization)[0]
            .versions.order_by("-number")
            .first()
        )
        for on_demand, days in ((False, 10), (True, 7)):
            FeedbackCycleFactory(
                program=program,
                version=version,
                title=f"Later {on_demand}",
                opens_at=timezone.now(),
                opened_at=timezone.now(),
                open_days=days,
                on_demand=on_demand,
                status=FeedbackCycle.Status.OPEN,
            )
    page = page_of(client_for(alpha.hr), alpha)
    assert "Nothing needs your attention right now" in page
    assert "Later" not in page


def test_a_sponsor_finds_the_dashboard(alpha: Tenant, client_for) -> None:
    grow(alpha, 1)
    page = page_of(client_for(alpha.sponsor), alpha)
    assert '<a href="/o/alpha/dashboard/">Open the sponsor dashboard</a>' in page
    assert "What needs attention" not in page and "Quinn Quiet0" not in page


# --- Tenancy -------------------------------------------------------------------------------------


def test_members_of_beta_see_nothing_of_alpha(alpha: Tenant, beta: Tenant, client_for) -> None:
    grow(alpha, 2)
    grow(beta, 1)
    for role in (Role.PARTICIPANT, Role.HR_ADMIN):
        client = client_for(beta.user(role))
        page = page_of(client, beta)
        assert "Beta program 0" in page  # their own organisation's home works
        assert "Alpha program" not in page and "alpha topic" not in page
        assert "alpha check-in" not in page and "alpha module" not in page
        assert "/o/alpha/" not in page.replace('href="/o/alpha/"', "")  # only the switcher
        assert client.get("/o/alpha/").status_code == 404


# --- Queries -------------------------------------------------------------------------------------


# session, user, membership + organisation (middleware), the header (the viewer's organisations,
# unread count), then the page's own:
#   participant: participations, pairs with their next meeting, objectives, training to do,
#                open survey invitations;
#   HR admin: programs with applications / unmatched counts, pairs at risk (count and list),
#             open surveys, open concerns.
PINNED = {Role.PARTICIPANT: 10, Role.HR_ADMIN: 10}


@pytest.mark.parametrize("role", [Role.PARTICIPANT, Role.HR_ADMIN], ids=["participant", "hr"])
def test_home_queries_do_not_grow_with_data(alpha: Tenant, client_for, role: Role) -> None:
    client = client_for(alpha.user(role))

    grow(alpha, 1)
    small = run(lambda: page_of(client, alpha))
    grow(alpha, 4, start=1)
    large = run(lambda: page_of(client, alpha))
    # The larger page really shows more (so the count is pinned over real rows).
    marker = "alpha module 4" if role == Role.PARTICIPANT else "5 open concerns"
    assert marker in large.result and marker not in small.result
    assert_same_queries(small, large, pinned=PINNED[role])
