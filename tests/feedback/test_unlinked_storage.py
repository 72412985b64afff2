"""What the database itself holds while and after people answer: topic self-ratings stand
apart from their response, and an open survey's submissions cannot be paired with the people
marked "answered" by the transaction that wrote them."""

from __future__ import annotations

from django.db import connection

from feedback.models import (
    FeedbackCycle,
    PendingResponse,
    Question,
    SurveyInvitation,
    SurveyResponse,
    TopicRating,
)
from feedback.results import cycle_results
from feedback.services import responses as response_services
from mentorship.models import User
from programs.models import LearningObjective, Participant
from programs.services import participants as participant_services
from programs.services import topics as topic_services
from tests.conftest import Tenant
from tests.factories import MembershipFactory
from tests.feedback.test_results import make_cycle


def _person(
    cycle: FeedbackCycle, n: int, *, side: str, department: str
) -> tuple[User, Participant]:
    membership = MembershipFactory(
        organization=cycle.organization, user__email=f"rater{n}@example.com"
    )
    user = membership.user
    person = participant_services.participant_add(
        program=cycle.program,
        email=user.email,
        invited_by=None,
        first_name="R",
        last_name=str(n),
        side=side,
        department=department,
        level=9 if side == "senior" else 2,
    )
    Participant.objects.filter(pk=person.pk).update(membership=membership)
    person.refresh_from_db()
    return user, person


def _answer_end_of_program(
    cycle: FeedbackCycle, user: User, person: Participant, topics: dict[str, int]
) -> None:
    invitation = SurveyInvitation.objects.create(
        organization=cycle.organization, cycle=cycle, participant=person
    )
    response_services.response_submit(
        invitation=invitation, answers=_answers(cycle, topics), actor=user
    )


def _answers(cycle: FeedbackCycle, topics: dict[str, int]) -> dict[int, object]:
    """Every required question answered."""
    answers: dict[int, object] = {}
    for q in cycle.version.questions.all():
        if q.kind == Question.Kind.LIKERT:
            answers[q.pk] = 4
        elif q.kind == Question.Kind.NPS:
            answers[q.pk] = 9
        elif q.kind == Question.Kind.SINGLE:
            answers[q.pk] = q.choices[0]
        elif q.kind == Question.Kind.OBJECTIVE_RATINGS:
            answers[q.pk] = topics
    return answers


def test_topic_ratings_are_stored_apart_from_responses_and_filtered_by_k(
    alpha: Tenant, django_capture_on_commit_callbacks
) -> None:
    """Someone's set of objective topics may be theirs alone: stored with their response it
    would single out the whole response. Each rating is its own row, and the page shows a
    topic only from k ratings, under a filter only when what it leaves out reaches k too."""
    with alpha.scope():
        cycle = make_cycle(alpha, "end-of-program")
        FeedbackCycle.objects.filter(pk=cycle.pk).update(status="open")
        cycle.refresh_from_db()
        people = [
            _person(cycle, n, side="senior" if n < 6 else "junior", department="Ops")
            for n in range(11)
        ]
        for n, (user, person) in enumerate(people):
            # Six seniors and two juniors rated "AI tools"; three juniors had no objectives.
            topics = {"AI tools": 4 if n < 6 else 2} if n < 8 else {}
            if n == 0:
                topics["Quantum"] = 5  # a topic only one person chose
            with django_capture_on_commit_callbacks(execute=True):
                _answer_end_of_program(cycle, user, person, topics)
        assert not TopicRating.objects.exists()  # nothing is written while the survey is open
        response_services.materialize_pending(cycle=cycle)
        FeedbackCycle.objects.filter(pk=cycle.pk).update(status="closed")
        cycle.refresh_from_db()
        assert TopicRating.objects.count() == 9
        assert SurveyResponse.objects.count() == 11

        everyone = cycle_results(cycle=cycle, k=5, filters={}, show_names=False)
        seniors = cycle_results(cycle=cycle, k=5, filters={"side": "senior"}, show_names=False)
    (ratings,) = [q for q in everyone.questions if q.topics]
    shown = dict(ratings.topics)
    assert shown["AI tools"].count == 8 and round(shown["AI tools"].average, 2) == 3.5
    # A topic one person chose is not even named: its name would say that they answered.
    assert "Quantum" not in shown and ratings.topics_unlisted
    # Six of eleven respondents may be shown, but of the ratings the filter leaves out only
    # two remain: subtracting would show the two juniors' ratings.
    (filtered,) = [q for q in seniors.questions if q.topics]
    assert seniors.filters == {"side": "senior"} and dict(filtered.topics)["AI tools"] is None


def test_an_open_surveys_submissions_share_one_transaction_id_with_every_answered_flag(
    alpha: Tenant, django_capture_on_commit_callbacks
) -> None:
    """After each anonymous submission, every pending submission and every "answered" flag of
    the survey is rewritten together: on PostgreSQL they then all carry one transaction id
    (xmin), so the transaction that wrote an answer no longer points at its person."""
    with alpha.scope():
        cycle = make_cycle(alpha)
        FeedbackCycle.objects.filter(pk=cycle.pk).update(status="open")
        cycle.refresh_from_db()
        people = [_person(cycle, n, side="junior", department="Ops") for n in range(3)]
        for user, person in people:
            invitation = SurveyInvitation.objects.create(
                organization=cycle.organization, cycle=cycle, participant=person
            )
            with django_capture_on_commit_callbacks(execute=True) as callbacks:
                response_services.response_submit(
                    invitation=invitation, answers=_answers(cycle, {}), actor=user
                )
            assert len(callbacks) == 1
        assert PendingResponse.objects.count() == 3
        assert SurveyInvitation.objects.filter(answered=True).count() == 3
        if connection.vendor != "postgresql":
            return  # SQLite keeps no transaction id on rows; the rewrite is harmless there.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT DISTINCT xmin::text FROM feedback_pendingresponse WHERE cycle_id = %s "
                "UNION SELECT DISTINCT xmin::text FROM feedback_surveyinvitation "
                "WHERE cycle_id = %s AND answered",
                [cycle.pk, cycle.pk],
            )
            assert len(cursor.fetchall()) == 1


def test_baseline_and_final_ratings_make_the_skill_change(alpha: Tenant) -> None:
    """The pre/post change per topic reads the stand-alone ratings of closed surveys."""
    from feedback.results import program_results

    with alpha.scope():
        cycle = make_cycle(alpha, "end-of-program")
        question = cycle.version.questions.get(kind=Question.Kind.OBJECTIVE_RATINGS)
        topic = topic_services.topics_get_or_create(
            organization=alpha.organization, names=["Cloud"]
        )[0]
        for n in range(5):
            _, person = _person(cycle, n, side="senior", department="Ops")
            LearningObjective.objects.create(
                organization=alpha.organization,
                participant=person,
                topic=topic,
                success_criteria="x",
                baseline_rating=1,
            )
            TopicRating.objects.create(
                organization=alpha.organization,
                cycle=cycle,
                question=question,
                topic_name="Cloud",
                rating=3,
                side="senior",
            )
        assert program_results(program=cycle.program, k=5).skills == [("Cloud", 1.0, 3.0, 2.0)]
        FeedbackCycle.objects.filter(pk=cycle.pk).update(status="open", closed_at=None)
        assert program_results(program=cycle.program, k=5).skills == [("Cloud", 1.0, None, None)]
