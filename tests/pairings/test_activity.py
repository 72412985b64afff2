"""Weekly activity totals stay exactly in step with the session logs, and a cancellation
records the side that cancelled."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pairings import activity
from pairings.models import Meeting, Pairing, SessionWeek, TopicWeek
from pairings.services.meetings import meeting_cancel, meetings_cancel_upcoming
from pairings.services.session_logs import session_log_create
from tests.conftest import Tenant
from tests.factories import MeetingFactory
from tests.pairings.conftest import active_pair


def _totals() -> tuple[set, set]:
    return (
        set(
            SessionWeek.objects.values_list(
                "program_id", "week", "side", "department", "sessions", "minutes", "cancellations"
            )
        ),
        set(
            TopicWeek.objects.values_list(
                "program_id", "week", "topic_id", "side", "department", "sessions"
            )
        ),
    )


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
            activity.rebuild(organization_id=alpha.organization.pk)
            assert _totals() == running
            assert sum(row[4] for row in running[0]) == len(logs)
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
        activity.rebuild(organization_id=alpha.organization.pk)
        assert _totals() == running
        assert sorted((row[2], row[6]) for row in running[0]) == [
            ("", 1),
            ("junior", 1),
            ("senior", 1),
        ]
    assert sides == {"m0@test": "junior", "m1@test": "senior", "m2@test": ""}
