"""Two merges into one topic, after the author of logs tagged with both topics moved department,
still count each log of the kept topic once in its totals for everyone (and on the dashboard):
the everyone row's key does not depend on the department, so it can lose exactly the logs that
counted twice, whatever the department rows can give back."""

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


def test_two_merges_after_a_department_change_count_each_log_of_the_kept_topic_once(
    alpha: Tenant,
) -> None:
    program, _, _ = build(alpha)
    with alpha.scope():
        t0, t1, t2 = topic_services.topics_get_or_create(
            organization=alpha.organization, names=["T0", "T1", "T2"]
        )
        pairing = Pairing.objects.filter(program=program).first()
        author = pairing.mentor
        day = timezone.localdate() - timedelta(days=7)  # one week, one side: one key

        def log(*topics) -> None:
            session_log_create(
                pairing=pairing,
                author=author,
                date=day,
                minutes=30,
                topics=list(topics),
                confirm_duplicate=True,
            )

        log(t1, t2)  # in the author's first department
        participant_services.participant_update(
            participant=author,
            offers=list(author.offers.all()),
            wants=list(author.wants.all()),
            department="Finance",
        )
        author.refresh_from_db()
        log(t0, t2)  # in Finance
        log(t0, t1)  # in Finance
        topic_services.topic_merge(source=t2, target=t1, actor=alpha.hr)
        topic_services.topic_merge(source=t0, target=t1, actor=alpha.hr)

        logs_on_t1 = SessionLog.objects.filter(topics=t1).count()
        everyone = TopicWeek.objects.filter(topic=t1, everyone=True).aggregate(n=Sum("sessions"))[
            "n"
        ]
        # The department rows (which an HR admin's department filter reads) add up to it.
        departments = TopicWeek.objects.filter(topic=t1, everyone=False).aggregate(
            n=Sum("sessions")
        )["n"]
        board = dashboard(
            program_ids=[program.pk],
            filters=Filters.default(),
            k=3,
            named=True,
            now=timezone.now(),
        )
    taught = {topic: juniors + seniors for topic, juniors, seniors in board.taught}
    assert logs_on_t1 == 3
    assert everyone == logs_on_t1
    assert departments == logs_on_t1
    assert taught["T1"] == logs_on_t1
