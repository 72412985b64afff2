"""A log tagged with both merged topics is one session of the target even when its author moved
department between logging it and the merge: the weekly totals were written under the old
department, and the dashboard must count that log once, not twice."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Sum
from django.utils import timezone

from mentorship.frame.dashboards import Filters, dashboard
from pairings.models import Pairing, SessionLog, TopicWeek
from pairings.services.session_logs import session_log_create
from programs.services import participants as participant_services
from programs.services import topics as topic_services
from tests.conftest import Tenant
from tests.programs.test_topic_merge import build


def test_a_log_on_both_topics_counts_once_after_its_author_changed_department(
    alpha: Tenant,
) -> None:
    program, python, programming = build(alpha)
    with alpha.scope():
        pairing = Pairing.objects.filter(program=program).first()
        author = pairing.mentor  # junior of "Ops"
        session_log_create(
            pairing=pairing,
            author=author,
            date=timezone.localdate() - timedelta(days=2),
            minutes=30,
            topics=[python, programming],
            # Across midnight, build()'s logs can fall on the same day: not what is tested here.
            confirm_duplicate=True,
        )
        participant_services.participant_update(
            participant=author,
            offers=list(author.offers.all()),
            wants=list(author.wants.all()),
            department="Finance",
        )
        topic_services.topic_merge(source=python, target=programming, actor=alpha.hr)
        logs_on_target = SessionLog.objects.filter(topics=programming).count()
        # Each total is kept per department and for everyone: both must count the log once.
        totals = {
            everyone: TopicWeek.objects.filter(topic=programming, everyone=everyone).aggregate(
                n=Sum("sessions")
            )["n"]
            for everyone in (False, True)
        }
        board = dashboard(
            program_ids=[program.pk],
            filters=Filters.default(),
            k=3,
            named=True,
            now=timezone.now(),
        )
    taught = {topic: juniors + seniors for topic, juniors, seniors in board.taught}
    assert totals == {False: logs_on_target, True: logs_on_target}
    assert taught["Programming"] == logs_on_target
