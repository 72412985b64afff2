"""``seed_scale``: a large organisation for benchmarks, built to exact, proportional counts,
the same for the same seed, refusing to overwrite unless asked to.

The expected counts are derived here from the parameters and the rules the command documents
(its table of programs; one person in 50 applied and one in 50 withdrew; pairs in order of
approval; 10 meetings and 10 logs per participant, one meeting in 20 cancelled; the answered
share of each survey), not copied from a run."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, Max, Q, Sum
from django.test import Client
from django.utils import timezone

from feedback.models import (
    Answer,
    FeedbackCycle,
    PendingResponse,
    Question,
    SurveyInvitation,
    SurveyResponse,
    TopicRating,
)
from mentorship.frame.management.commands.seed_scale import DEFAULT_PASSWORD
from mentorship.frame.seeding.shapes import PROGRAMS, ProgramSpec
from mentorship.frame.seeding.surveys import (
    ANSWERED_PERCENT,
    OPEN_CHECK_IN_ANSWERED_PERCENT,
    TEXT_EVERY,
)
from mentorship.models import Invitation, Organization, User
from mentorship.tenancy import across_all_organizations, tenant_scope
from pairings.models import Meeting, Pairing, SessionLog
from programs.models import Participant, Program, ProgramSponsor

N = 200

pytestmark = pytest.mark.django_db


def seed(slug: str = "bench", **options: object) -> str:
    out = StringIO()
    call_command("seed_scale", org=slug, participants=N, seed=1, stdout=out, **options)
    return out.getvalue()


def sides(p: int) -> tuple[int, int]:
    """Juniors and seniors of program ``p``: an even split of N over the programs."""
    size = N // len(PROGRAMS) + (1 if p < N % len(PROGRAMS) else 0)
    return size // 2, size - size // 2


def approved(count: int) -> int:
    """Of ``count`` people of a side, all but the 8th and 9th of every 50."""
    return sum(1 for i in range(count) if i % 50 not in (7, 8))


def expected_pairs() -> Counter[tuple[str, str]]:
    """(program status, pair status) → pairs, with at-risk pairs counted apart."""
    pairs: Counter[tuple[str, str]] = Counter()
    for p, spec in enumerate(PROGRAMS):
        count = min(approved(n) for n in sides(p))
        if spec.status == Program.Status.MATCHING:
            count = count * 4 // 5  # proposals for four in five
        for k in range(count):
            if spec.status == Program.Status.MATCHING:
                status = "confirmed" if k % 3 == 0 else "proposed"
            elif k % 20 == 5:
                status = "dissolved"
            elif spec.status == Program.Status.ACTIVE and k % 20 == 3:
                status = "at risk"
            elif spec.status == Program.Status.ACTIVE and k % 50 == 6:
                status = "proposed"
            else:
                status = "active"
            pairs[(spec.status, status)] += 1
    return pairs


def check_in_rounds(spec: ProgramSpec) -> int:
    """Monthly check-ins: every 28 days from two weeks after the start up to two days ago (or
    two days before closing)."""
    latest = -2 if spec.status == Program.Status.ACTIVE else spec.end - 2
    return len(range(latest, spec.start + 13, -28))


def test_counts_follow_the_parameters() -> None:
    output = seed()
    organization = Organization.objects.get(slug="bench")
    assert organization.name == "Bench Corp" and not organization.mfa_required
    assert "Done in" in output and "feedback_answer" in output and DEFAULT_PASSWORD in output
    now = timezone.now()
    with tenant_scope(organization):
        # People: N, half on each side, mostly approved.
        assert Participant.objects.count() == N
        assert Participant.objects.filter(side="junior").count() == sum(
            sides(p)[0] for p in range(len(PROGRAMS))
        )
        people = [n for p in range(len(PROGRAMS)) for n in sides(p)]
        assert Participant.objects.filter(status="approved").count() == sum(map(approved, people))
        assert Participant.objects.filter(status="applied").count() == sum(
            1 for n in people for i in range(n) if i % 50 == 7
        )
        # Everyone has an account, except one in three approved in the program still matching,
        # who are invited instead.
        matching = [p for p, spec in enumerate(PROGRAMS) if spec.status == "matching"]
        not_joined = sum(
            1
            for p in matching
            for n in sides(p)
            for i in range(n)
            if i % 50 not in (7, 8) and i % 3 == 2
        )
        assert Participant.objects.filter(membership=None).count() == not_joined
        assert Invitation.objects.count() == not_joined
        assert User.objects.filter(email__endswith="@bench.example").count() == N - not_joined + 2
        # Two tiny departments, always below the anonymity threshold.
        assert Participant.objects.filter(department="Legal").count() == 3
        assert Participant.objects.filter(department="Internal Audit").count() == 4

        # Pairs, by program and status; the at-risk ones have not met for longer than the
        # inactivity threshold, every other live pair has.
        pairs = expected_pairs()
        quiet = now - timedelta(days=settings.PAIR_INACTIVITY_DAYS)
        found: Counter[tuple[str, str]] = Counter()
        for pairing in Pairing.objects.select_related("program"):
            status = pairing.status
            if status == "active" and pairing.program.status == "active":
                status = "at risk" if pairing.last_met_at < quiet else "active"
            found[(pairing.program.status, status)] += 1
        assert found == pairs
        assert sum(pairs.values()) == Pairing.objects.count()

        # Meetings and logs: 10 per participant each; one meeting in 20 cancelled; a log for
        # every past meeting that went ahead, the rest logged without a booked meeting.
        meetings = 10 * N
        assert Meeting.objects.count() == meetings
        assert Meeting.objects.exclude(cancelled_at=None).count() == sum(
            1 for g in range(meetings) if g % 20 == 10
        )
        assert Meeting.objects.exclude(cancelled_at=None).filter(cancelled_by=None).count() == 0
        assert SessionLog.objects.count() == 10 * N
        held = Meeting.objects.filter(cancelled_at=None, starts_at__lt=now)
        assert SessionLog.objects.exclude(meeting=None).count() == held.count()
        assert Meeting.objects.filter(starts_at__gt=now).exists()
        for pairing in Pairing.objects.annotate(last_log=Max("session_logs__date")):
            # As session_log_create does: the pair last met on the day of its latest log.
            assert (pairing.last_met_at and pairing.last_met_at.date()) == pairing.last_log

        # Monthly check-ins: every round invites the approved people of its program; 70 % of
        # them answered a closed round (the free text in one response in 3), 40 % the open one.
        required = Question.objects.filter(
            version__template__builtin_key="monthly-check-in", required=True
        ).count()
        for p, spec in enumerate(PROGRAMS):
            if spec.status == "matching":
                continue
            program = Program.objects.get(name=spec.name)
            invited = sum(approved(n) for n in sides(p))
            rounds = FeedbackCycle.objects.filter(
                program=program, version__template__builtin_key="monthly-check-in"
            )
            assert rounds.count() == check_in_rounds(spec)
            assert rounds.filter(status="open").count() == (1 if spec.status == "active" else 0)
            answered = invited * ANSWERED_PERCENT["monthly-check-in"] // 100
            for cycle in rounds.filter(status="closed"):
                assert cycle.invitations.count() == invited
                assert cycle.responses.count() == answered
                assert Answer.objects.filter(response__cycle=cycle).count() == (
                    answered * required + -(-answered // TEXT_EVERY["monthly-check-in"])
                )
            for cycle in rounds.filter(status="open"):
                assert PendingResponse.objects.filter(cycle=cycle).count() == (
                    invited * OPEN_CHECK_IN_ANSWERED_PERCENT // 100
                )

        # Every survey (the ones offered after session logs too): its share answered, as many
        # responses (or pending submissions) as answered invitations, anonymous responses
        # attributed to nobody. A closed anonymous survey, as closing leaves it, keeps only its
        # counts: none of its invitations says who answered.
        for cycle in FeedbackCycle.objects.select_related("version__template").annotate(
            invited=Count("invitations"),
            asked=Count("invitations", filter=Q(invitations__answered=True)),
        ):
            key = cycle.version.template.builtin_key
            percent = ANSWERED_PERCENT[key]
            if key == "monthly-check-in" and cycle.status == "open":
                percent = OPEN_CHECK_IN_ANSWERED_PERCENT
            asked = cycle.asked
            if cycle.status == "closed" and cycle.anonymous:
                assert (cycle.asked, cycle.closed_invited) == (0, cycle.invited)
                asked = cycle.closed_answered
            assert asked == cycle.invited * percent // 100
            written = cycle.responses.count() + PendingResponse.objects.filter(cycle=cycle).count()
            assert asked == written
            if cycle.anonymous:
                assert not cycle.responses.exclude(attributed_to=None).exists()
            else:
                assert cycle.responses.filter(attributed_to=None).count() == 0
        assert TopicRating.objects.exists()
        # Proportional: answers grow with participants (about 30 to 45 per participant).
        assert 25 * N < Answer.objects.count() < 60 * N
        closed = [p for p, spec in enumerate(PROGRAMS) if spec.status == "closed"]
        invited = sum(approved(n) for p in closed for n in sides(p))
        end_of_program = "end-of-program"
        assert SurveyResponse.objects.filter(
            cycle__version__template__builtin_key=end_of_program
        ).count() == (invited * ANSWERED_PERCENT[end_of_program] // 100)


def test_staff_and_participant_sign_in_and_the_sponsor_sponsors_every_program() -> None:
    output = seed(password="s3cret-bench")
    assert "s3cret-bench" in output
    for email in ("admin@bench.example", "sponsor@bench.example", "participant@bench.example"):
        client = Client()
        assert client.login(email=email, password="s3cret-bench"), email
        assert client.get("/o/bench/").status_code == 200, email
    organization = Organization.objects.get(slug="bench")
    with tenant_scope(organization):
        assert ProgramSponsor.objects.filter(
            membership__user__email="sponsor@bench.example"
        ).count() == len(PROGRAMS)
        me = Participant.objects.get(email="participant@bench.example")
        assert me.side == "junior" and me.program.name == PROGRAMS[0].name
        assert Pairing.objects.filter(mentor=me, status="active").exists()
        assert Meeting.objects.filter(
            pairing__mentor=me, starts_at__gt=timezone.now(), cancelled_at=None
        ).exists()
        assert SurveyInvitation.objects.filter(
            participant=me, cycle__status="open", answered=False
        ).exists()


def fingerprint(slug: str) -> dict[str, object]:
    """What must not depend on the organisation's slug (or its database ids)."""
    organization = Organization.objects.get(slug=slug)
    with tenant_scope(organization):
        return {
            "per program": sorted(
                (p.slug, p.participants.count(), p.pairings.filter(status="active").count())
                for p in Program.objects.all()
            ),
            "departments": sorted(
                Counter(Participant.objects.values_list("department", flat=True)).items()
            ),
            "levels": Participant.objects.aggregate(Sum("level")),
            "minutes": SessionLog.objects.aggregate(Sum("minutes")),
            "cancelled": Meeting.objects.exclude(cancelled_at=None).count(),
            "answers": Answer.objects.aggregate(Sum("number")),
            "text answers": Answer.objects.exclude(text="").count(),
            "ratings": TopicRating.objects.aggregate(Sum("rating")),
        }


def test_the_same_seed_gives_the_same_data_in_another_organisation() -> None:
    seed("bench")
    seed("bench-copy")
    assert fingerprint("bench") == fingerprint("bench-copy")
    assert Organization.objects.get(slug="bench-copy").name == "Bench Copy Corp"


def test_an_existing_organisation_is_kept_unless_replace_is_given() -> None:
    seed()
    old = Organization.objects.get(slug="bench")
    with pytest.raises(CommandError, match=r"already exists.*--org.*--replace"):
        seed()
    output = seed(replace=True)
    assert "Deleted the old ones" in output
    new = Organization.objects.get(slug="bench")
    assert new.pk != old.pk
    with across_all_organizations():
        # Nothing of the old organisation is left, and no account twice.
        assert Participant.objects.count() == N
        assert Meeting.objects.count() == 10 * N
        assert not Answer.objects.filter(organization_id=old.pk).exists()
    emails = User.objects.filter(email__endswith="@bench.example")
    assert emails.count() == emails.values("email").distinct().count()
    assert not User.objects.filter(memberships=None, email__endswith="@bench.example").exists()
