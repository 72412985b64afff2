"""Weekly activity totals stay exactly in step with the session logs, cancellations and topic
merges, for everyone and per department, and a cancellation records the side that cancelled."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pairings import activity
from pairings.models import Meeting, Pairing, SessionLog, SessionWeek, TopicWeek
from pairings.services.meetings import meeting_cancel, meetings_cancel_upcoming
from pairings.services.session_logs import session_log_create
from programs.models import Participant
from programs.services import topics as topic_services
from tests.conftest import Tenant
from tests.factories import MeetingFactory, PairingFactory
from tests.pairings.conftest import active_pair

SESSION_KEY = ("program_id", "week", "side")
TOPIC_KEY = ("program_id", "week", "topic_id", "side")


def _totals() -> tuple[set, set]:
    return (
        set(
            SessionWeek.objects.values_list(
                "program_id",
                "week",
                "side",
                "everyone",
                "department",
                "sessions",
                "minutes",
                "cancellations",
            )
        ),
        set(
            TopicWeek.objects.values_list(
                "program_id", "week", "topic_id", "side", "everyone", "department", "sessions"
            )
        ),
    )


def _everyone(totals: tuple[set, set]) -> tuple[set, set]:
    """Only the rows for everyone (``everyone`` is the fourth column of the session rows and
    the fifth of the topic rows)."""
    weeks, topics = totals
    return {row for row in weeks if row[3]}, {row for row in topics if row[4]}


def assert_everyone_is_the_sum_of_the_departments() -> None:
    """Each key's row for everyone (department "") holds the sums of its department rows, and
    a key has one exactly when it has department rows."""
    for model, key, fields in (
        (SessionWeek, SESSION_KEY, ("sessions", "minutes", "cancellations")),
        (TopicWeek, TOPIC_KEY, ("sessions",)),
    ):
        everyone: dict[tuple, tuple] = {}
        for row in model.objects.filter(everyone=True).values(*key, "department", *fields):
            assert row["department"] == ""
            everyone[tuple(row[name] for name in key)] = tuple(row[name] for name in fields)
        summed: dict[tuple, Counter[str]] = {}
        for row in model.objects.filter(everyone=False).values(*key, *fields):
            totals = summed.setdefault(tuple(row[name] for name in key), Counter())
            totals.update({name: row[name] for name in fields})
        assert everyone == {
            k: tuple(totals[name] for name in fields) for k, totals in summed.items()
        }, model.__name__


def _recount(alpha: Tenant) -> tuple[set, set]:
    activity.rebuild(organization_id=alpha.organization.pk)
    assert_everyone_is_the_sum_of_the_departments()
    return _totals()


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(
            st.booleans(),  # the junior logs, or the senior
            st.integers(1, 60),  # days ago
            st.integers(5, 240),  # minutes
            st.lists(st.integers(0, 1), max_size=2, unique=True),  # which topics
        ),
        max_size=12,
    )
)
def test_running_totals_equal_a_recount_of_the_logs(alpha: Tenant, matching_program, logs) -> None:
    with transaction.atomic():
        pairing = active_pair(alpha, matching_program)
        with alpha.scope():
            topics = list(matching_program.topics.all()) or list(
                pairing.mentor.offers.all()
            ) + list(pairing.mentee.wants.all())
            for by_junior, days_ago, minutes, which in logs:
                session_log_create(
                    pairing=pairing,
                    author=pairing.mentor if by_junior else pairing.mentee,
                    date=timezone.localdate() - timedelta(days=days_ago),
                    minutes=minutes,
                    topics=[topics[i] for i in which if i < len(topics)],
                    confirm_duplicate=True,
                )
            running = _totals()
            assert_everyone_is_the_sum_of_the_departments()
            assert _recount(alpha) == running
            # Each log once in its department's rows and once in the everyone rows.
            assert sum(row[5] for row in running[0] if not row[3]) == len(logs)
            assert sum(row[5] for row in running[0] if row[3]) == len(logs)
        transaction.set_rollback(True)


# One step of a pair's life: a log (by the junior or the senior, days ago, minutes, which of
# three topics), a cancellation (by the junior or the senior), or a partner's move to another
# department ("" is no department given).
STEPS = st.one_of(
    st.tuples(
        st.just("log"),
        st.booleans(),
        st.integers(0, 20),
        st.integers(5, 240),
        st.lists(st.integers(0, 2), max_size=3, unique=True),
    ),
    st.tuples(st.just("cancel"), st.booleans()),
    st.tuples(st.just("move"), st.booleans(), st.sampled_from(["Sales", "Tech", ""])),
)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(STEPS, max_size=14), st.booleans())
def test_running_totals_after_logs_cancellations_moves_and_a_merge_equal_a_recount(
    alpha: Tenant, matching_program, steps, merge: bool
) -> None:
    """Live totals, for everyone and per department, are what a recount gives after any mix of
    logs, cancellations and a topic merge; the everyone rows are the sums of the department
    rows throughout. A department change keeps history in the department rows (a recount uses
    today's departments, so only then may they differ), never in the everyone rows."""
    with transaction.atomic():
        pairing = active_pair(alpha, matching_program)
        moved = False
        with alpha.scope():
            topics = topic_services.topics_get_or_create(
                organization=alpha.organization, names=["T0", "T1", "T2"]
            )
            senior_user = matching_program.senior_member.user
            for n, step in enumerate(steps):
                # The partners as they are now (a move below changes a department).
                pairing = Pairing.objects.select_related("mentor", "mentee").get(pk=pairing.pk)
                if step[0] == "log":
                    _, by_junior, days_ago, minutes, which = step
                    session_log_create(
                        pairing=pairing,
                        author=pairing.mentor if by_junior else pairing.mentee,
                        date=timezone.localdate() - timedelta(days=days_ago),
                        minutes=minutes,
                        topics=[topics[i] for i in which],
                        confirm_duplicate=True,
                    )
                elif step[0] == "cancel":
                    meeting = MeetingFactory(
                        pairing=pairing, starts_at=timezone.now() + timedelta(days=2, hours=n)
                    )
                    meeting_cancel(
                        meeting=meeting, actor=alpha.participant if step[1] else senior_user
                    )
                else:
                    _, junior, department = step
                    partner = pairing.mentor if junior else pairing.mentee
                    moved |= partner.department != department
                    Participant.objects.filter(pk=partner.pk).update(department=department)
            if merge:
                topic_services.topic_merge(source=topics[0], target=topics[1], actor=alpha.hr)
            running = _totals()
            assert_everyone_is_the_sum_of_the_departments()
            recounted = _recount(alpha)
            if moved:
                assert _everyone(running) == _everyone(recounted)
            else:
                assert running == recounted
            # Each log once for everyone, and each of its topics (merged: once) too.
            assert sum(row[5] for row in running[0] if row[3]) == SessionLog.objects.count()
            assert (
                sum(row[6] for row in running[1] if row[4])
                == SessionLog.topics.through.objects.count()
            )
        transaction.set_rollback(True)


def test_a_cancellation_records_which_side_cancelled(
    alpha: Tenant, matching_program, django_capture_on_commit_callbacks
) -> None:
    pairing = active_pair(alpha, matching_program)
    with alpha.scope():
        soon = timezone.now() + timedelta(days=3)
        first, second, _third = (
            MeetingFactory(
                pairing=pairing,
                starts_at=soon + timedelta(hours=n),
                uid=f"m{n}@test",
            )
            for n in range(3)
        )
        with django_capture_on_commit_callbacks(execute=True):
            meeting_cancel(meeting=first, actor=alpha.participant)  # the junior
            meeting_cancel(meeting=second, actor=matching_program.senior_member.user)
            Pairing.objects.filter(pk=pairing.pk).update(status=Pairing.Status.DISSOLVED)
            meetings_cancel_upcoming(pairing=pairing, actor=alpha.hr)
        sides = dict(Meeting.objects.values_list("uid", "cancelled_by_side"))
        # Counted in the week's totals as they happen, exactly as a recount finds them.
        running = _totals()
        assert_everyone_is_the_sum_of_the_departments()
        assert _recount(alpha) == running
        # (side, everyone, department, cancellations): the junior is of Sales, the senior of
        # Tech, and the HR admin of no department (its own row, and in the everyone row).
        assert sorted((row[2], row[3], row[4], row[7]) for row in running[0]) == [
            ("", False, "", 1),
            ("", True, "", 1),
            ("junior", False, "Sales", 1),
            ("junior", True, "", 1),
            ("senior", False, "Tech", 1),
            ("senior", True, "", 1),
        ]
    assert sides == {"m0@test": "junior", "m1@test": "senior", "m2@test": ""}


def test_a_merge_adds_everyone_rows_to_everyone_rows_not_to_the_rows_of_no_department(
    alpha: Tenant, matching_program
) -> None:
    """The row for everyone and the row of the people who gave no department share the
    department "": a merge adds each to its own kind, and a log tagged with both topics is
    taken off both the department row and the everyone row that counted it."""
    pairing = active_pair(alpha, matching_program)
    with alpha.scope():
        people = {p.email: p for p in matching_program.participants.all()}
        other = PairingFactory(
            program=matching_program,
            mentor=people["j2@example.com"],  # a junior of Tech
            mentee=people["s2@example.com"],
            status=Pairing.Status.ACTIVE,
        )
        Participant.objects.filter(pk=pairing.mentor_id).update(department="")
        pairing = Pairing.objects.select_related("mentor", "mentee").get(pk=pairing.pk)
        t0, t1 = topic_services.topics_get_or_create(
            organization=alpha.organization, names=["T0", "T1"]
        )
        day = timezone.localdate() - timedelta(days=1)
        for log_pairing, topics in (
            (pairing, [t0]),  # no department
            (other, [t0]),  # Tech
            (pairing, [t1]),
            (pairing, [t0, t1]),  # one session of T1 once merged
            (other, [t0, t1]),
        ):
            session_log_create(
                pairing=log_pairing,
                author=log_pairing.mentor,
                date=day,
                minutes=30,
                topics=topics,
                confirm_duplicate=True,
            )
        topic_services.topic_merge(source=t0, target=t1, actor=alpha.hr)
        running = _totals()
        assert_everyone_is_the_sum_of_the_departments()
        assert _recount(alpha) == running
        assert sorted((row[4], row[5], row[6]) for row in running[1]) == [
            (False, "", 3),
            (False, "Tech", 2),
            (True, "", 5),
        ]
