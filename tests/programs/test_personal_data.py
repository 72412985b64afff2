"""Issue 7: an HR admin exports everything held about a participant, and erases a participant.

The story is built with the services, so the person leaves the traces the product really
leaves: notifications naming them, matching proposals, audit events, a partner's notes. The
strongest check walks every text field of every model afterwards.
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import reduce
from operator import or_
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from feedback.models import (
    Answer,
    Concern,
    FeedbackCycle,
    PendingResponse,
    Question,
    QuestionSummary,
    SurveyInvitation,
    SurveyResponse,
    SurveyTemplate,
)
from feedback.results import cycle_results
from feedback.services import after_session as after_session_services
from feedback.services import concerns as concern_services
from feedback.services import cycles as cycle_services
from feedback.services import responses as response_services
from mentorship import services as kernel
from mentorship.frame.dashboards import Filters, dashboard
from mentorship.models import AuditEvent, Invitation, Membership, Notification, Role, User
from mentorship.tenancy import across_all_organizations
from pairings import activity
from pairings.match_computation import match_run_compute
from pairings.models import Meeting, Pairing, PairingEvent, SessionLog, SessionWeek, TopicWeek
from pairings.services import exits as exit_services
from pairings.services import match_runs as match_run_services
from pairings.services import meetings
from pairings.services import pairs as pair_services
from pairings.services import session_logs as session_log_services
from programs import privacy
from programs.models import ImportJob, LearningObjective, Participant, Program
from programs.services import objectives as objective_services
from programs.services import participants as participant_services
from programs.services import programs as program_services
from programs.services import topics as topic_services
from programs.services import training as training_services
from tests.conftest import Tenant
from tests.factories import MembershipFactory, PairingFactory, UserFactory
from tests.programs.conftest import add_person

EMAIL = "quintessa.vandermolen@alpha.test"
LAST_NAME = "Vandermolen"
FULL_NAME = "Quintessa Vandermolen"


@dataclass
class Story:
    program: Program
    quin: Participant
    sol: Participant
    olive: Participant
    pairing: Pairing
    hr: User
    quin_user: User | None
    sol_user: User
    cycles: list[FeedbackCycle] = field(default_factory=list)

    def url(self, what: str, participant: Participant | None = None) -> str:
        who = (participant or self.quin).pk
        base = f"/o/alpha/programs/{self.program.slug}/participants/{who}/"
        return base + ("export.json" if what == "export" else "erase/")


def _answer(invitation: SurveyInvitation, user: User, text: str) -> None:
    values = {
        Question.Kind.LIKERT: 4,
        Question.Kind.NPS: 9,
        Question.Kind.TEXT: text,
    }
    answers: dict[int, Any] = {}
    for q in invitation.cycle.version.questions.all():
        answers[q.pk] = q.choices[0] if q.choices else values.get(q.kind)
    response_services.response_submit(invitation=invitation, answers=answers, actor=user)


def tell_story(alpha: Tenant, *, member: bool) -> Story:
    """Quintessa (junior, Finance) is paired with Sol (senior, Tech); Olive is a bystander.
    As a ``member`` Quintessa applies herself, answers surveys and acts in the pair; otherwise
    HR adds her by email and she never joins (a pending invitation)."""
    org = alpha.organization
    hr = alpha.hr
    sol_user = UserFactory(email="sol.senior@alpha.test", first_name="Sol", last_name="Senior")
    sol_m = MembershipFactory(organization=org, user=sol_user, is_participant=True)
    quin_user = quin_m = None
    if member:
        quin_user = UserFactory(email=EMAIL, first_name="Quintessa", last_name=LAST_NAME)
        quin_m = MembershipFactory(organization=org, user=quin_user, is_participant=True)
    now = timezone.now()
    with alpha.scope():
        program = program_services.program_create(organization=org, name="Pilot")
        Program.objects.filter(pk=program.pk).update(status=Program.Status.ENROLLING)
        program.refresh_from_db()
        ai, social = topic_services.topics_get_or_create(organization=org, names=["AI", "Social"])
        details = {
            "side": "junior",
            "department": "Finance",
            "title": "Analyst",
            "level": 2,
            "manager_email": "boss@alpha.test",
            "timezone": "Europe/Paris",
            "availability": "Tue mornings",
            "bio": "Loves spreadsheets",
            "offers": [ai],
            "wants": [social],
        }
        if member:
            quin = participant_services.participant_apply(
                program=program, membership=quin_m, **details
            )
            participant_services.participant_decide(participant=quin, approve=True, actor=hr)
        else:
            quin = participant_services.participant_add(
                program=program,
                email=EMAIL,
                invited_by=hr,
                first_name="Quintessa",
                last_name=LAST_NAME,
                **details,
            )
        add = participant_services.participant_add
        sol = add(
            program=program,
            email=sol_user.email,
            invited_by=hr,
            first_name="Sol",
            last_name="Senior",
            side="senior",
            department="Tech",
            level=9,
            wants=[ai],
        )
        olive = add(
            program=program,
            email="olive.other@alpha.test",
            invited_by=hr,
            first_name="Olive",
            last_name="Other",
            side="junior",
            department="Finance",
            level=1,
            bio="Olive's own bio",
            # Her manager is Quintessa: a reporting line names her.
            manager_email="" if member else EMAIL,
        )
        module = training_services.module_save(
            program=program, module=None, title="Basics", body="b"
        )
        training_services.module_complete(module=module, participant=quin)
        objective_services.objective_create(
            participant=quin, topic=social, success_criteria="Q criteria", baseline_rating=2
        )
        objective_services.objective_create(
            participant=sol,
            topic=ai,
            success_criteria=f"Learn prompting from {FULL_NAME}",
            baseline_rating=1,
        )
        Program.objects.filter(pk=program.pk).update(status=Program.Status.MATCHING)
        program.refresh_from_db()
        run = match_run_services.match_run_start(
            program=program, actor=hr, locked=[[quin.pk, sol.pk]]
        )
        match_run_compute(run=run)
        run.refresh_from_db()
        (pairing,) = match_run_services.match_run_publish(run=run, actor=hr)
        Program.objects.filter(pk=program.pk).update(status=Program.Status.ACTIVE)
        pairing = Pairing.objects.get(pk=pairing.pk)
        pair_services.pairing_confirm(pairing=pairing, membership=sol_m, confirm=True)
        if member:
            pair_services.pairing_accept_agreement(pairing=pairing, membership=sol_m)
            pair_services.pairing_accept_agreement(pairing=pairing, membership=quin_m)
        else:
            Pairing.objects.filter(pk=pairing.pk).update(status=Pairing.Status.ACTIVE)
        pairing = Pairing.objects.get(pk=pairing.pk)
        assert pairing.status == Pairing.Status.ACTIVE
        quin.refresh_from_db()
        sol.refresh_from_db()
        today = timezone.localdate()
        session_log_services.session_log_create(
            pairing=pairing,
            author=quin,
            date=today - timedelta(days=1),
            minutes=45,
            topics=[ai],
            taught="Q taught",
            learned="Q learned",
            shared_notes="Q shared",
            private_notes="Q private thought",
        )
        session_log_services.session_log_create(
            pairing=pairing,
            author=sol,
            date=today - timedelta(days=2),
            minutes=30,
            topics=[social],
            taught="Sol taught strategy",
            shared_notes=f"{FULL_NAME} explained prompts",
            private_notes="Sol private note",
        )
        soon = now + timedelta(days=3)
        actor = quin_user if member else sol_user
        first = meetings.meeting_schedule(
            pairing=pairing, starts_at=soon, duration_minutes=60, location="Room 4", actor=actor
        )
        if member:
            meetings.meeting_cancel(meeting=first, actor=quin_user)
            meetings.meeting_schedule(
                pairing=pairing,
                starts_at=soon + timedelta(days=7),
                duration_minutes=45,
                location=f"{FULL_NAME}'s desk",
                actor=quin_user,
            )
        concern_services.concern_raise(participant=quin, kind="help", text="Q concern text")
        concern_services.concern_raise(
            participant=sol, kind="other", text=f"{FULL_NAME} does not always reply"
        )
        # The partner's own confidential event: never in Quintessa's export.
        PairingEvent.objects.create(
            organization=org,
            pairing=pairing,
            status=pairing.status,
            actor=sol_user,
            note="Sol confidential",
            confidential=True,
        )
        story = Story(program, quin, sol, olive, pairing, hr, quin_user, sol_user)
        if member:
            _surveys(story, alpha, now)
            exit_services.pairing_request_exit(
                pairing=pairing, membership=quin_m, note="Q exit note"
            )
        pair_services.pairing_dissolve(pairing=pairing, actor=hr, note=f"Talked with {FULL_NAME}")
        ImportJob.objects.create(
            organization=org,
            program=program,
            filename="more.csv",
            rows=[
                {"email": EMAIL, "first_name": "Quintessa", "last_name": LAST_NAME},
                {"email": "new@alpha.test", "first_name": "New", "last_name": "Person"},
            ],
            total=2,
        )
        ImportJob.objects.create(
            organization=org,
            program=program,
            filename="bad.csv",
            status=ImportJob.Status.INVALID,
            errors=[[3, f"{EMAIL} appears twice"]],
        )
        for p in (quin, sol, olive):
            p.refresh_from_db()
    if member:
        # An account event: it stays with the account, which erasure does not touch.
        with alpha.scope():
            kernel.audit_organization_entered(membership=quin_m, ip_address="10.0.0.1")
    return story


def _surveys(story: Story, alpha: Tenant, now: datetime) -> None:
    """Pairing fit (by name) answered by both, a closed anonymous check-in answered by both,
    and an open one with Sol's pending answer naming Quintessa."""
    org = alpha.organization
    fit = after_session_services.after_session_invitation(
        participant=story.quin, pairing=story.pairing
    )
    _answer(fit, story.quin_user, "Q fit text")
    fit_sol = after_session_services.after_session_invitation(
        participant=story.sol, pairing=story.pairing
    )
    _answer(fit_sol, story.sol_user, f"{FULL_NAME} is a great fit")
    monthly = SurveyTemplate.objects.get(builtin_key="monthly-check-in")
    checkin = cycle_services.cycle_create(
        program=story.program, template=monthly, opens_at=now, title="Check-in 1"
    )
    cycle_services.cycles_dispatch(organization=org, now=now + timedelta(minutes=1))
    for person, user, text in (
        (story.quin, story.quin_user, "Q anonymous text"),
        (story.sol, story.sol_user, f"{FULL_NAME} is a great mentor"),
    ):
        _answer(SurveyInvitation.objects.get(cycle=checkin, participant=person), user, text)
    later = now + timedelta(days=30)
    cycle_services.cycles_dispatch(organization=org, now=later)
    assert FeedbackCycle.objects.filter(status=FeedbackCycle.Status.CLOSED).count() == 2
    second = cycle_services.cycle_create(
        program=story.program, template=monthly, opens_at=later, title="Check-in 2"
    )
    cycle_services.cycles_dispatch(organization=org, now=later + timedelta(minutes=1))
    _answer(
        SurveyInvitation.objects.get(cycle=second, participant=story.sol),
        story.sol_user,
        f"Sessions with {FULL_NAME} help",
    )
    story.cycles = [fit.cycle, checkin, second]


@pytest.fixture
def member_story(alpha: Tenant) -> Story:
    return tell_story(alpha, member=True)


@pytest.fixture
def guest_story(alpha: Tenant) -> Story:
    return tell_story(alpha, member=False)


def rows_naming(*needles: str) -> set[tuple[str, object]]:
    """(model, pk) of every row of every model with a text, email or JSON field containing one
    of the needles, across all organisations."""
    hits: set[tuple[str, object]] = set()
    text_fields = (models.CharField, models.TextField, models.JSONField)
    with across_all_organizations():
        for model in apps.get_models(include_auto_created=True):
            names = [f.name for f in model._meta.concrete_fields if isinstance(f, text_fields)]
            if not names:
                continue
            query = reduce(or_, (Q(**{f"{n}__icontains": x}) for n in names for x in needles))
            for pk in model._base_manager.filter(query).values_list("pk", flat=True):
                hits.add((model._meta.label, pk))
    return hits


# --- Export ---------------------------------------------------------------------------------------


def test_export_holds_the_persons_own_data_and_nothing_of_others(
    alpha: Tenant, member_story: Story, client_for
) -> None:
    story = member_story
    response = client_for(alpha.hr).get(story.url("export"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"] == (
        f'attachment; filename="participant-{story.quin.pk}-personal-data.json"'
    )
    body = response.content.decode()
    data = json.loads(body)
    # Keys in a fixed order, dates in ISO 8601.
    assert body == json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True)
    datetime.fromisoformat(data["participant"]["created_at"])
    row = data["participant"]
    assert (row["first_name"], row["last_name"], row["email"]) == ("Quintessa", LAST_NAME, EMAIL)
    assert (row["department"], row["title"], row["timezone"]) == (
        "Finance",
        "Analyst",
        "Europe/Paris",
    )
    assert (row["topics_offered"], row["topics_wanted"]) == (["AI"], ["Social"])
    assert [o["success_criteria"] for o in data["learning_objectives"]] == ["Q criteria"]
    assert [c["module"] for c in data["training_completions"]] == ["Basics"]
    (pair,) = data["pairings"]
    assert pair["partner"] == "Sol Senior" and pair["status"] == "dissolved"
    assert pair["exit_requested_at"] is not None
    (log,) = pair["session_logs"]
    assert (log["minutes"], log["private_notes_held"], log["topics"]) == (45, True, ["AI"])
    # Private notes are their author's alone: HR, who downloads this, never reads them.
    assert "private_notes" not in log
    assert "Q private thought" not in body
    assert [m["location"] for m in pair["meetings"]] == ["Room 4", f"{FULL_NAME}'s desk"]
    assert "Exit requested. Q exit note" in [e["note"] for e in pair["events"]]
    assert [c["text"] for c in data["concerns_raised"]] == ["Q concern text"]
    # Whether she answered: for the survey by name only, never for the anonymous ones.
    surveys = {(i["survey"], i.get("answered")) for i in data["survey_invitations"]}
    assert surveys == {("Pairing fit", True), ("Check-in 1", None), ("Check-in 2", None)}
    (fit,) = data["survey_answers_by_name"]
    assert "Q fit text" in [a["answer"] for a in fit["answers"]]
    assert data["account"]["email"] == EMAIL and data["account"]["roles"] == ["Participant"]
    assert any("Sol Senior confirmed" in n["subject"] for n in data["notifications"])
    assert "anonymous" in data["note"] and "cannot" in data["note"]
    # Not hers: the partner's logs and notes, their confidential event, other people, and
    # every anonymous answer (hers included: nothing links it to her).
    for foreign in (
        "Sol private note",
        "Sol taught strategy",
        "Sol confidential",
        "Olive",
        "olive.other",
        "Q anonymous text",
        "is a great fit",
        "great mentor",
        "Learn prompting",
        "does not always reply",
    ):
        assert foreign not in body, foreign
    with alpha.scope():
        event = AuditEvent.objects.get(action=AuditEvent.Action.PERSONAL_DATA_EXPORTED)
    assert event.actor == alpha.hr
    assert event.summary == f"Personal data of participant #{story.quin.pk} in Pilot exported"


def test_each_export_is_audited(alpha: Tenant, guest_story: Story, client_for) -> None:
    hr = client_for(alpha.hr)
    for _ in range(2):
        assert hr.get(guest_story.url("export")).status_code == 200
    with alpha.scope():
        exported = AuditEvent.objects.filter(action=AuditEvent.Action.PERSONAL_DATA_EXPORTED)
        assert exported.count() == 2
    data = json.loads(hr.get(guest_story.url("export")).content)
    assert data["account"] is None and data["notifications"] == []
    assert data["participant"]["email"] == EMAIL


@pytest.mark.parametrize("role", [Role.SPONSOR, Role.PARTICIPANT])
def test_only_hr_admins_export_or_erase(
    alpha: Tenant, guest_story: Story, client_for, role: Role
) -> None:
    client = client_for(alpha.user(role))
    assert client.get(guest_story.url("export")).status_code == 404
    assert client.get(guest_story.url("erase")).status_code == 404
    assert client.post(guest_story.url("erase")).status_code == 404
    with alpha.scope():
        assert Participant.objects.get(pk=guest_story.quin.pk).email == EMAIL
        assert not AuditEvent.objects.filter(
            action__in=[
                AuditEvent.Action.PERSONAL_DATA_EXPORTED,
                AuditEvent.Action.PERSONAL_DATA_ERASED,
            ]
        ).exists()


# --- Erasure --------------------------------------------------------------------------------------


def test_a_confirmation_page_comes_first_and_changes_nothing(
    alpha: Tenant, guest_story: Story, client_for
) -> None:
    page = client_for(alpha.hr).get(guest_story.url("erase"))
    assert page.status_code == 200
    html = page.content.decode()
    assert f"<h1>Erase the personal data of {FULL_NAME}?</h1>" in html
    assert "<h2>Erased or anonymised</h2>" in html and "<h2>Kept, so the figures" in html
    assert 'type="submit" class="contrast">Erase personal data</button>' in html
    assert f'href="/o/alpha/programs/pilot/participants/{guest_story.quin.pk}/"' in html
    assert "department (Finance)" in html
    with alpha.scope():
        assert Participant.objects.get(pk=guest_story.quin.pk).email == EMAIL
        assert not AuditEvent.objects.filter(action=AuditEvent.Action.PERSONAL_DATA_ERASED)


def test_a_running_pair_ends_first(alpha: Tenant, client_for) -> None:
    senior = MembershipFactory(organization=alpha.organization, is_participant=True)
    with alpha.scope():
        program = program_services.program_create(organization=alpha.organization, name="Pilot")
        people = [
            participant_services.participant_add(
                program=program,
                email=email,
                invited_by=None,
                first_name=email[:1],
                last_name="Person",
                side=side,
                level=level,
            )
            for email, side, level in ((EMAIL, "junior", 1), (senior.user.email, "senior", 9))
        ]
        pairing = PairingFactory(
            program=program,
            mentor=people[0],
            mentee=people[1],
            status=Pairing.Status.ACTIVE,
        )
    url = f"/o/alpha/programs/pilot/participants/{people[0].pk}/erase/"
    hr = client_for(alpha.hr)
    page = hr.get(url).content.decode()
    assert "This cannot happen yet" in page
    assert f"still in a running pair with {people[1].full_name}: end the pair first." in page
    assert f'<a href="/o/alpha/pairs/{pairing.pk}/">They are still' in page
    assert "Erase personal data</button>" not in page
    refused = hr.post(url).content.decode()
    assert "still in a running pair with" in refused
    with alpha.scope():
        assert Participant.objects.get(pk=people[0].pk).email == EMAIL


def _aggregates(story: Story, alpha: Tenant) -> dict[str, Any]:
    program_ids = [story.program.pk]
    weeks = ("program_id", "week", "side", "everyone", "department")
    surveys = {}
    for cycle in FeedbackCycle.objects.filter(program=story.program):
        results = cycle_results(cycle=cycle, k=3, filters={}, show_names=True)
        surveys[cycle.pk] = (
            results.invited,
            results.answered,
            results.respondents,
            [(q.question.pk, q.count, q.summary, q.choices) for q in results.questions],
            SurveyResponse.objects.filter(cycle=cycle).count(),
            Answer.objects.filter(response__cycle=cycle).count(),
            sorted(QuestionSummary.objects.filter(cycle=cycle).values_list("count", "total")),
        )
    return {
        "session_weeks": sorted(
            SessionWeek.objects.values_list(*weeks, "sessions", "minutes", "cancellations")
        ),
        "topic_weeks": sorted(TopicWeek.objects.values_list(*weeks, "topic_id", "sessions")),
        "surveys": surveys,
        "board": dashboard(
            program_ids=program_ids,
            filters=Filters.default(),
            k=3,
            named=True,
            now=timezone.now().replace(microsecond=0),
        ),
    }


def _if_only_removed(story: Story, alpha: Tenant) -> Any:
    """The dashboard as a plain removal would leave it: erasure may change no more."""

    class Rollback(Exception):
        pass

    board = None
    try:
        with transaction.atomic():
            participant_services.participant_remove(participant=story.quin, actor=story.hr)
            board = _aggregates(story, alpha)["board"]
            raise Rollback
    except Rollback:
        pass
    story.quin.refresh_from_db()
    return board


def test_erasure_anonymises_the_person_and_keeps_every_figure(
    alpha: Tenant, member_story: Story, client_for
) -> None:
    story = member_story
    quin = story.quin
    with alpha.scope():
        before = _aggregates(story, alpha)
        removed_board = _if_only_removed(story, alpha)
        invitations = list(
            SurveyInvitation.objects.filter(participant=quin).values_list("cycle_id", "answered")
        )
    hr = client_for(alpha.hr)
    response = hr.post(story.url("erase"))
    assert response.status_code == 302
    assert response["Location"] == f"/o/alpha/programs/pilot/participants/{quin.pk}/"
    with alpha.scope():
        after = _aggregates(story, alpha)
        quin.refresh_from_db()
        assert (quin.first_name, quin.last_name, quin.full_name) == (
            "Erased",
            "participant",
            "Erased participant",
        )
        assert quin.email == f"erased-{quin.pk}@erased.invalid"
        assert (quin.side, quin.department) == ("junior", "Finance")
        assert (quin.title, quin.manager_email, quin.availability, quin.bio) == ("", "", "", "")
        assert (quin.level, quin.timezone) == (1, "UTC")
        assert quin.status == Participant.Status.REMOVED and quin.membership_id is None
        assert not quin.offers.exists() and not quin.wants.exists()
        log = SessionLog.objects.get(author=quin)
        assert (log.taught, log.learned, log.shared_notes, log.private_notes) == ("",) * 4
        assert log.minutes == 45 and [t.name for t in log.topics.all()] == ["AI"]
        objective = LearningObjective.objects.get(participant=quin)
        assert (objective.success_criteria, objective.baseline_rating) == ("", 2)
        assert Concern.objects.get(participant=quin).text == ""
        assert quin.completions.count() == 1
        assert Meeting.objects.filter(pairing=story.pairing).count() == 2
        assert not PairingEvent.objects.filter(note__contains="Q exit note").exists()
        assert not SurveyResponse.objects.filter(attributed_to=quin).exists()
        assert not Answer.objects.filter(text="Q fit text").exists()
        # The anonymous answer was never hers to erase; it stays as written.
        assert Answer.objects.filter(text="Q anonymous text").exists()
        assert (
            list(
                SurveyInvitation.objects.filter(participant=quin).values_list(
                    "cycle_id", "answered"
                )
            )
            == invitations
        )
        # Others' mentions of her now say "Erased participant".
        partner_log = SessionLog.objects.get(author=story.sol)
        assert partner_log.shared_notes == "Erased participant explained prompts"
        assert partner_log.private_notes == "Sol private note"
        # Her account is not touched by this: removing the member is a separate action.
        membership = Membership.objects.get(user=story.quin_user)
        assert membership.removed_at is None
        assert Notification.objects.filter(recipient=story.quin_user).exists()
        event = AuditEvent.objects.get(action=AuditEvent.Action.PERSONAL_DATA_ERASED)
        assert event.actor == alpha.hr
        assert event.summary == f"Participant #{quin.pk} erased from Pilot"
    # Weekly totals, topic totals and every survey figure are unchanged; the dashboard changes
    # exactly as a plain removal of the person would change it.
    assert after["session_weeks"] == before["session_weeks"]
    assert after["topic_weeks"] == before["topic_weeks"]
    assert after["surveys"] == before["surveys"]
    board, previous = after["board"], before["board"]
    assert board == removed_board
    assert (board.weeks, board.cancellations, board.taught, board.surveys) == (
        previous.weeks,
        previous.cancellations,
        previous.taught,
        previous.surveys,
    )
    assert dict(previous.funnel)["Approved"] - dict(board.funnel)["Approved"] == 1
    assert dict(board.funnel)["Applied"] == dict(previous.funnel)["Applied"]
    # A recount from the logs gives the same weekly totals: the logs still carry them.
    activity.rebuild(organization_id=alpha.organization.pk)
    with alpha.scope():
        assert _aggregates(story, alpha)["session_weeks"] == before["session_weeks"]

    # A second erasure is refused, with a clear message.
    again = hr.post(story.url("erase")).content.decode()
    assert f"Participant #{quin.pk} is already erased" in again
    with alpha.scope():
        assert AuditEvent.objects.filter(action=AuditEvent.Action.PERSONAL_DATA_ERASED).count() == 1
    with pytest.raises(Exception, match="already been erased"), alpha.scope():
        privacy.participant_erase(participant=quin, actor=alpha.hr)
    # The export now shows the anonymised row only.
    data = json.loads(hr.get(story.url("export")).content)
    assert data["erased"] is True
    assert set(data) == {
        "audience",
        "erased",
        "exported_at",
        "format",
        "note",
        "organization",
        "participant",
        "program",
        "version",
    }
    assert data["participant"]["email"] == quin.email
    detail = hr.get(f"/o/alpha/programs/pilot/participants/{quin.pk}/").content.decode()
    assert "Erase personal data" not in detail


def test_nothing_anywhere_names_an_erased_person_who_never_joined(
    alpha: Tenant, beta: Tenant, guest_story: Story, client_for
) -> None:
    needles = (EMAIL, LAST_NAME)
    assert len(rows_naming(*needles)) > 10  # the story left traces across the project
    assert client_for(alpha.hr).get(guest_story.url("export")).status_code == 200
    assert client_for(alpha.hr).post(guest_story.url("erase")).status_code == 302
    assert rows_naming(*needles) == set()
    with alpha.scope():
        invitation = Invitation.objects.get(email=f"erased-{guest_story.quin.pk}@erased.invalid")
        assert invitation.revoked_at is not None
        assert guest_story.olive.__class__.objects.get(pk=guest_story.olive.pk).manager_email == (
            invitation.email
        )
        job = ImportJob.objects.get(filename="more.csv")
        assert [r["email"] for r in job.rows] == ["new@alpha.test"] and job.total == 1


def test_nothing_names_an_erased_member_outside_their_own_account(
    alpha: Tenant, member_story: Story, client_for
) -> None:
    needles = (EMAIL, LAST_NAME)
    assert len(rows_naming(*needles)) > 10
    assert client_for(alpha.hr).post(member_story.url("erase")).status_code == 302
    user = member_story.quin_user
    with alpha.scope():
        entered = AuditEvent.objects.get(
            action=AuditEvent.Action.ORGANIZATION_ENTERED, summary__startswith=EMAIL
        )
        pending = PendingResponse.objects.get()
    with across_all_organizations():
        from allauth.account.models import EmailAddress

        address = EmailAddress.objects.get(user=user)
    # What is left is the account itself (kept until the member is removed, and beyond this
    # organisation): the user, their address, and their entries into the organisation.
    assert rows_naming(*needles) == {
        ("mentorship.User", user.pk),
        ("account.EmailAddress", address.pk),
        ("mentorship.AuditEvent", entered.pk),
    }
    assert pending.payload and "Erased participant" in json.dumps(pending.payload)


def test_only_whole_names_and_addresses_are_rewritten() -> None:
    mentions = privacy.Mentions(emails=["jo@x.org"], names=["Al Bo"], email_to="e@erased.invalid")
    assert mentions.text("Al Bo's casual board; al bo, Al Bob") == (
        "Erased participant's casual board; Erased participant, Al Bob"
    )
    assert mentions.text("bojo@x.org, JO@x.org. jo@x.org.uk") == (
        "bojo@x.org, e@erased.invalid. jo@x.org.uk"
    )


# --- Layering -------------------------------------------------------------------------------------


def test_programs_privacy_imports_nothing_from_higher_apps() -> None:
    """programs sits below pairings and feedback: their parts come in through the registry."""
    source = Path(privacy.__file__).read_text(encoding="utf-8")
    imported = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "no relative imports"
            imported.append(node.module or "")
    assert imported
    higher = [name for name in imported if name.split(".")[0] in {"pairings", "feedback"}]
    assert higher == []


def test_pairings_and_feedback_contribute_their_personal_data() -> None:
    names = [c.name for c in privacy.personal_data_contributors()]
    assert sorted(names) == ["feedback", "pairings"]
    # A second ready() (as some test runners and reloads do) adds nothing.
    apps.get_app_config("pairings").ready()
    apps.get_app_config("feedback").ready()
    assert [c.name for c in privacy.personal_data_contributors()] == names


def test_every_app_holding_participants_rows_contributes_or_nothing_runs(
    alpha: Tenant, monkeypatch
) -> None:
    assert privacy.apps_without_a_contributor() == []
    # Without feedback's part, an export would lack the surveys and an erasure keep concerns.
    monkeypatch.delitem(privacy._contributors, "feedback")
    assert privacy.apps_without_a_contributor() == ["feedback"]
    with alpha.scope():
        program = program_services.program_create(organization=alpha.organization, name="P")
        person = add_person(program, "pat@alpha.test")
        with pytest.raises(ImproperlyConfigured, match="feedback"):
            privacy.participant_data(participant=person)
        with pytest.raises(ImproperlyConfigured, match="feedback"):
            privacy.participant_erase(participant=person, actor=alpha.hr)
        person.refresh_from_db()
        assert not privacy.participant_is_erased(person)
