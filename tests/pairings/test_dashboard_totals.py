"""The dashboards' live totals of people, objectives and active pairs (``programs.tallies``)
stay equal to a fresh count of the rows through every kind of write: people added, applying,
decided, moved, trained, withdrawn, removed, imported and erased; objectives set, progressed and
merged with their topic; pairs published, confirmed, activated, meeting and dissolved."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import F
from django.utils import timezone

from feedback.services import concerns as concern_services
from mentorship.models import Role
from pairings.models import Pairing
from pairings.services import match_runs
from pairings.services import pairs as pair_services
from pairings.services.session_logs import session_log_create
from programs import privacy, tallies
from programs.models import LearningObjective, Participant, Program
from programs.services import objectives as objective_services
from programs.services import participants as participant_services
from programs.services import programs as program_services
from programs.services import topics as topic_services
from programs.services import training as training_services
from programs.services.imports import participants_import_from_text
from tests.conftest import Tenant
from tests.factories import MembershipFactory, PairingFactory, ParticipantFactory

HEADER = "email,first_name,last_name,side,department\n"


def assert_totals_are_counts(alpha: Tenant) -> None:
    with alpha.scope():
        ids = list(Program.objects.values_list("pk", flat=True))
        assert {c.model.__name__ for c in tallies.counters()} == {
            "PeopleTally",
            "ObjectiveTally",
            "PairHour",
        }
        for counter in tallies.counters():
            running = tallies.tallied(counter, program_ids=ids)
            assert running == tallies.counted(counter, program_ids=ids), counter.model.__name__


def test_the_totals_equal_a_fresh_count_after_every_kind_of_write(
    alpha: Tenant, matching_program: Program, django_capture_on_commit_callbacks
) -> None:
    program = matching_program

    def check() -> None:
        assert_totals_are_counts(alpha)

    check()  # four people added by the fixture
    senior = program.senior_member  # type: ignore[attr-defined]
    junior = alpha.members[Role.PARTICIPANT]
    with alpha.scope(), django_capture_on_commit_callbacks(execute=True):
        people = {p.email.split("@")[0]: p for p in program.participants.all()}
        j1, j2 = people[junior.user.email.split("@")[0]], people["j2"]
        s1, s2 = people[senior.user.email.split("@")[0]], people["s2"]
        ai, social = topic_services.topics_get_or_create(
            organization=alpha.organization, names=["AI", "Social"]
        )
        # Objectives, then training (a required module nobody has done yet, then done by j1).
        goal = objective_services.objective_create(
            participant=s1, topic=ai, success_criteria="Use it", baseline_rating=2
        )
        check()
        objective_services.objective_create(
            participant=s2, topic=social, success_criteria="Post", baseline_rating=3
        )
        objective_services.objective_create(
            participant=s2, topic=ai, success_criteria="Try", baseline_rating=1, progress=30
        )
        check()
        objective_services.objective_update(objective=goal, progress=50)
        check()
        module = training_services.module_save(
            program=program, module=None, title="Listen", body="b", required_for_juniors=True
        )
        check()
        training_services.module_complete(module=module, participant=j1)
        check()

    # A proposal published, then confirmed and accepted by both: the pair goes live.
    with alpha.scope(), django_capture_on_commit_callbacks(execute=True):
        run = match_runs.match_run_start(program=program, actor=alpha.hr)
    with alpha.scope(), django_capture_on_commit_callbacks(execute=True):
        run.refresh_from_db()
        match_runs.match_run_publish(run=run, actor=alpha.hr)
        check()
        pairing = Pairing.objects.get(mentee=s1)
        pair_services.pairing_accept_agreement(pairing=pairing, membership=junior)
        pair_services.pairing_confirm(pairing=pairing, membership=senior, confirm=True)
        check()
        pair_services.pairing_accept_agreement(pairing=pairing, membership=senior)
        assert Pairing.objects.get(pk=pairing.pk).status == Pairing.Status.ACTIVE
        check()
        people = tallies.tallied(tallies.PEOPLE, program_ids=[program.pk])
        assert sum(row["active"] for row in people) == 2

    # A session moves an objective's progress; a topic merge folds s2's two objectives into one.
    with alpha.scope(), django_capture_on_commit_callbacks(execute=True):
        pairing.refresh_from_db()
        Program.objects.filter(pk=program.pk).update(status=Program.Status.ACTIVE)
        session_log_create(
            pairing=pairing,
            author=s1,
            date=timezone.localdate() - timedelta(days=1),
            minutes=45,
            topics=[ai],
            progress={goal.pk: 100},
        )
        check()
        topic_services.topic_merge(source=social, target=ai, actor=alpha.hr)
        assert LearningObjective.objects.filter(participant=s2).count() == 1
        check()

    # People move, withdraw and are removed; the pair ends.
    with alpha.scope(), django_capture_on_commit_callbacks(execute=True):
        j2.refresh_from_db()
        participant_services.participant_update(
            participant=j2, offers=[], wants=[], actor=alpha.hr, department="Legal"
        )
        check()
        participant_services.participant_withdraw(participant=j2)
        check()
        for ended in Pairing.objects.all():  # the live one, and j2 and s2's proposed one
            pair_services.pairing_dissolve(pairing=ended, actor=alpha.hr)
            check()
        participant_services.participant_remove(participant=s2, actor=alpha.hr)
        check()
        privacy.participant_erase(participant=s2, actor=alpha.hr)
        check()
        # HR adds someone back on their old row, in another department.
        participant_services.participant_add(
            program=program, email=j2.email, invited_by=alpha.hr, department="Ops", side="junior"
        )
        check()

    # Applications to an enrolling program: one approved, one declined.
    with alpha.scope(), django_capture_on_commit_callbacks(execute=True):
        other = program_services.program_create(organization=alpha.organization, name="Next")
        Program.objects.filter(pk=other.pk).update(status=Program.Status.ENROLLING)
        other.refresh_from_db()
        for approve in (True, False):
            member = MembershipFactory(organization=alpha.organization, is_participant=True)
            applied = participant_services.participant_apply(
                program=other, membership=member, side="senior", department="Sales", level=8
            )
            check()
            participant_services.participant_decide(
                participant=applied, approve=approve, actor=alpha.hr
            )
            check()
        # An import creates people and moves one of them on the second run.
        for department in ("Ops", "Sales"):
            participants_import_from_text(
                program=other,
                text=HEADER + f"a@example.com,Ann,A,junior,{department}\n"
                "b@example.com,Bob,B,senior,Ops\n",
                invited_by=alpha.hr,
                dry_run=False,
            )
            check()
        training_services.module_delete(module=module)
        check()

    # Factories create people and pairs the way the services do.
    with alpha.scope():
        pair = PairingFactory(
            program=other,
            mentor=ParticipantFactory(program=other, department="Ops", matched=True),
            mentee=ParticipantFactory(program=other, side="senior", status="applied"),
        )
        assert Participant.objects.filter(pk=pair.mentor_id).exists()
        check()


def test_pairs_met_lately_and_at_risk_are_exact_whichever_day_the_thresholds_fall_on(
    alpha: Tenant,
) -> None:
    """The totals are by the hour; the dashboard counts the two hours the thresholds fall in
    from the pairs themselves. Pairs minutes either side of 21 and 30 days, never met, with a
    concern, in two departments: for moments all over three weeks, each figure is the rule's."""
    from mentorship.frame import dashboards, pair_figures

    start = timezone.now().replace(minute=0, second=0, microsecond=0)
    with alpha.scope():
        program = program_services.program_create(organization=alpha.organization, name="Edges")
        quiet = ParticipantFactory(program=program, department="Ops")
        for n, days in enumerate((1, 20, 21, 22, 29, 30, 31, 45)):
            for minutes in (-61, -3, 2, 59):
                ago = timedelta(days=days, minutes=minutes + 60 * 24 * (n % 3))
                PairingFactory(
                    program=program,
                    mentor=ParticipantFactory(program=program, department=("Ops", "IT")[n % 2]),
                    last_met_at=start - ago,
                    created_at=start - timedelta(days=90),
                )
                PairingFactory(program=program, created_at=start - ago, last_met_at=None)
        PairingFactory(program=program, mentor=quiet, last_met_at=start - timedelta(days=2))
        concern_services.concern_raise(participant=quiet, kind="help", text="stuck")
        pairs = Pairing.objects.filter(program=program, status=Pairing.Status.ACTIVE)
        for step in range(0, 21 * 24, 7):
            now = start + timedelta(hours=step, minutes=step % 60)
            for department in ("", "Ops"):
                filters = dashboards.Filters.default()
                filters.department = department
                board = dashboards.dashboard(
                    program_ids=[program.pk], filters=filters, k=5, named=True, now=now
                )
                chosen = pairs.filter(pair_figures.pair_department(department or None))
                recent = chosen.filter(last_met_at__gte=now - timedelta(days=30)).count()
                risky = pair_figures.at_risk(chosen, now)
                assert (board.pairs_active, board.pairs_met_recently, board.at_risk_count) == (
                    chosen.count(),
                    recent,
                    risky.count(),
                ), (step, department)
                quietest = risky.order_by(F("last_met_at").asc(nulls_first=True), "pk")
                assert [item.pk for item in board.at_risk] == [
                    pairing.pk for pairing in quietest[: pair_figures.AT_RISK_LISTED]
                ]


def test_a_seeded_organisation_starts_with_totals_equal_to_a_fresh_count(db: None) -> None:
    """``seed_scale`` writes its rows in bulk, past the services, then recounts the totals."""
    from io import StringIO

    from django.core.management import call_command

    from mentorship.models import Organization
    from mentorship.tenancy import tenant_scope

    call_command("seed_scale", org="tallied", participants=300, seed=1, stdout=StringIO())
    organization = Organization.objects.get(slug="tallied")
    with tenant_scope(organization):
        ids = list(Program.objects.values_list("pk", flat=True))
        for counter in tallies.counters():
            running = tallies.tallied(counter, program_ids=ids)
            assert running, counter.model.__name__
            assert running == tallies.counted(counter, program_ids=ids), counter.model.__name__
