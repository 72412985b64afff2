"""``seed_scale --orgs N --org-size M``: many small organisations beside the large one, each
with work for every background dispatcher, each wholly inside its own tenant, the same for the
same seed, replaced as a set, and refused with a clear message for options that make no sense.

Three organisations of twelve keep it fast: each then has two active programs of two pairs and a
program still matching with one confirmed pair (see ``shapes.SMALL``)."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import F, Max, Q, Sum
from django.test import Client
from django.utils import timezone

from feedback.models import Answer, Concern, FeedbackCycle, SurveyInvitation
from feedback.services.cycles import cycles_dispatch
from mentorship.frame.management.commands.seed_scale import DEFAULT_PASSWORD, small_slugs
from mentorship.frame.seeding.integrity import DanglingForeignKey, foreign_keys_check
from mentorship.frame.seeding.organizations import table_counts
from mentorship.frame.seeding.shapes import SMALL, SMALL_PROGRAMS
from mentorship.models import Membership, Organization, User
from mentorship.tenancy import TenantModel, across_all_organizations, tenant_scope
from pairings import due, reminders
from pairings.models import Meeting, Pairing, ReminderDelivery, SessionLog
from programs.models import Participant, Program, ProgramSponsor

pytestmark = pytest.mark.django_db

SIZE = 12
SLUGS = ["bench-small-001", "bench-small-002", "bench-small-003"]


def seed(**options: Any) -> str:
    out = StringIO()
    arguments = {"participants": 0, "orgs": 3, "org_size": SIZE, "seed": 1, **options}
    call_command("seed_scale", stdout=out, **arguments)
    return out.getvalue()


def test_each_small_organisation_has_work_for_every_dispatcher() -> None:
    output = seed()
    assert "bench-small-001 to bench-small-003" in output and DEFAULT_PASSWORD in output
    # --participants 0: the small organisations only.
    assert not Organization.objects.filter(slug="bench").exists()
    assert sorted(Organization.objects.values_list("slug", flat=True)) == SLUGS
    now = timezone.now()
    for slug in SLUGS:
        organization = Organization.objects.get(slug=slug)
        with tenant_scope(organization):
            assert Participant.objects.count() == SIZE
            assert sorted(Program.objects.values_list("name", "status")) == sorted(
                (spec.name, spec.status) for spec in SMALL_PROGRAMS
            )
            # An HR admin, and a sponsor of every program.
            assert Membership.objects.filter(
                is_hr_admin=True, user__email=f"admin@{slug}.example"
            ).exists()
            assert ProgramSponsor.objects.filter(
                membership__user__email=f"sponsor@{slug}.example"
            ).count() == len(SMALL_PROGRAMS)
            # Live pairs in the active programs, a confirmed one waiting in the matching one.
            assert Pairing.objects.filter(status="active").count() == 4
            assert Pairing.objects.filter(status="confirmed", program__status="matching").exists()
            # Meetings behind (logged) and ahead, one whose 24-hour reminder falls due within
            # the hour.
            assert SessionLog.objects.count() == SMALL.logs_per_participant * SIZE
            upcoming = Meeting.objects.filter(cancelled_at=None, pairing__status="active")
            assert upcoming.filter(starts_at__gt=now + timedelta(days=2)).exists()
            assert upcoming.filter(
                starts_at__gt=now + timedelta(hours=24), starts_at__lte=now + timedelta(hours=25)
            ).exists()
            # Surveys scheduled ahead, open and closed (the closed ones summarised).
            scheduled = FeedbackCycle.objects.get(status="scheduled")
            assert scheduled.program.status == "matching" and scheduled.opens_at > now
            assert not scheduled.invitations.exists()
            assert FeedbackCycle.objects.filter(
                status="open", version__template__builtin_key="monthly-check-in"
            ).count() == len([s for s in SMALL_PROGRAMS if s.status == "active"])
            closed = FeedbackCycle.objects.filter(status="closed")
            assert closed.exists() and not closed.filter(closed_invited=None).exists()
            assert SurveyInvitation.objects.filter(cycle__status="open", answered=False).exists()
            assert Concern.objects.count() == 1


def test_the_dispatchers_find_the_seeded_work_then_nothing_until_the_next_reminder() -> None:
    """What the seed stores as each meeting's, pair's and survey's next moment is what the
    passes would have stored: a pass right after it sends what is due, a second finds nothing,
    and the meeting booked a day and up to an hour ahead is reminded of within the hour."""
    seed()
    now = timezone.now()
    n = reminders.inactivity_days()
    for slug in SLUGS:
        organization = Organization.objects.get(slug=slug)
        with tenant_scope(organization):
            # Meetings: as meetings_rearm stores them for meetings written in bulk (those
            # starting at its cut-off, give or take the test's seconds, left aside).
            cutoff = now - due.LOG_PROMPT_WINDOW - reminders.MAX_MEETING
            meetings = Meeting.objects.exclude(
                starts_at__range=(cutoff - timedelta(minutes=5), cutoff + timedelta(minutes=5))
            )
            seeded = dict(meetings.values_list("pk", "next_due_at"))
            reminders.meetings_rearm(meetings=Meeting.objects.all(), now=now)
            assert dict(meetings.values_list("pk", "next_due_at")) == seeded
            # Active pairs: looked at when they could first go quiet, counted from their
            # latest activity as the pass counts it.
            for pairing in Pairing.objects.filter(status="active").annotate(
                last_meeting=Max(
                    "meetings__starts_at",
                    filter=Q(meetings__cancelled_at=None, meetings__starts_at__lte=now),
                ),
                activated=Max("events__created_at", filter=Q(events__status="active")),
            ):
                marks = (pairing.last_met_at, pairing.last_meeting, pairing.activated)
                last = max(m for m in marks if m is not None)
                assert pairing.quiet_check_at == last + timedelta(days=n)
                assert pairing.quiet_check_days == n
            # Surveys: when the cycles pass next has something to do.
            for cycle in FeedbackCycle.objects.all():
                assert cycle.next_due_at == cycle.due_after_pass(now), cycle.status

            # Meetings whose 24-hour reminder falls due within the hour: the one the seed
            # books so (and, depending on the hour of the run, some booked for tomorrow).
            soon = list(
                Meeting.objects.filter(
                    cancelled_at=None,
                    starts_at__gt=now + timedelta(hours=24),
                    starts_at__lte=now + timedelta(hours=25),
                ).values_list("pk", flat=True)
            )
            assert soon
            reminded = ReminderDelivery.objects.filter(
                key__regex=rf"^meeting:({'|'.join(map(str, soon))}):"
            )
            reminders.reminders_send_due(organization=organization, now=now)
            assert not reminded.exists()
            assert reminders.reminders_send_due(organization=organization, now=now) == 0
            assert cycles_dispatch(organization=organization, now=now) == dict.fromkeys(
                ("opened", "sent", "reminded", "closed"), 0
            )
            reminders.reminders_send_due(organization=organization, now=now + timedelta(hours=1))
            assert reminded.count() == 2 * len(soon)  # both partners of each
            # The check-in scheduled in the program still matching opens on its day.
            scheduled = FeedbackCycle.objects.get(status="scheduled")
            assert cycles_dispatch(organization=organization, now=scheduled.opens_at)["opened"] == 1


def test_no_row_of_a_small_organisation_points_into_another() -> None:
    seed()
    with across_all_organizations():
        for model in apps.get_models():
            if not issubclass(model, TenantModel):
                continue
            manager = model._base_manager
            for field in model._meta.concrete_fields:
                target = field.related_model
                if not (field.is_relation and target and issubclass(target, TenantModel)):
                    continue
                stray = manager.exclude(**{field.name: None}).exclude(
                    **{f"{field.name}__organization_id": F("organization_id")}
                )
                assert not stray.exists(), f"{model.__name__}.{field.name}"
            for m2m in model._meta.local_many_to_many:
                through = m2m.remote_field.through
                source, target_name = m2m.m2m_field_name(), m2m.m2m_reverse_field_name()
                stray = through._base_manager.exclude(
                    **{f"{source}__organization_id": F(f"{target_name}__organization_id")}
                )
                assert not stray.exists(), f"{model.__name__}.{m2m.name}"
        # Every account is named after the one organisation it belongs to.
        for membership in Membership.objects.select_related("user", "organization"):
            assert membership.user.email.endswith(f"@{membership.organization.slug}.example")
        for slug in SLUGS:
            assert Participant.objects.filter(organization__slug=slug).count() == SIZE
    client = Client()
    assert client.login(email="admin@bench-small-002.example", password=DEFAULT_PASSWORD)
    assert client.get("/o/bench-small-002/").status_code == 200
    assert client.get("/o/bench-small-001/").status_code == 404


def fingerprint(slug: str) -> dict[str, object]:
    """What the seed decides of one organisation (its database ids aside)."""
    organization = Organization.objects.get(slug=slug)
    with tenant_scope(organization):
        return {
            "rows": table_counts(organization),
            "people": sorted(
                Participant.objects.values_list("email", "side", "status", "department", "level")
            ),
            "pairs": sorted(
                Pairing.objects.values_list("mentor__email", "mentee__email", "status", "score")
            ),
            "meetings": sorted(
                Meeting.objects.values_list(
                    "pairing__mentor__email", "duration_minutes", "location", "cancelled_by_side"
                )
            ),
            "logs": sorted(
                SessionLog.objects.values_list("author__email", "date", "minutes", "taught")
            ),
            "surveys": sorted(
                FeedbackCycle.objects.values_list(
                    "program__name", "title", "status", "closed_invited", "closed_answered"
                )
            ),
            "answers": Answer.objects.aggregate(Sum("number")),
        }


def test_the_same_seed_gives_the_same_small_organisations_and_replace_replaces_the_set() -> None:
    seed()
    before = {slug: fingerprint(slug) for slug in SLUGS}
    old = set(Organization.objects.values_list("pk", flat=True))
    # Not without --replace.
    with pytest.raises(CommandError, match=r"3 small organisations 'bench-small-…' already exist"):
        seed()
    assert "Deleted the old ones" in seed(replace=True)
    assert {slug: fingerprint(slug) for slug in SLUGS} == before
    assert not old & set(Organization.objects.values_list("pk", flat=True))
    # The organisations differ from one another, and another seed gives other data.
    assert before[SLUGS[0]]["people"] != before[SLUGS[1]]["people"]
    seed(replace=True, seed=2)
    assert fingerprint(SLUGS[0])["people"] != before[SLUGS[0]]["people"]
    # --replace replaces the whole earlier set, however many there were; nothing of the
    # organisations left out stays behind, their accounts neither.
    seed(replace=True, orgs=2)
    assert sorted(Organization.objects.values_list("slug", flat=True)) == SLUGS[:2]
    assert not User.objects.filter(email__endswith="@bench-small-003.example").exists()
    with across_all_organizations():
        for model in apps.get_models():
            if issubclass(model, TenantModel):
                assert not model._base_manager.exclude(organization__slug__in=SLUGS[:2]).exists(), (
                    model.__name__
                )


def test_the_small_organisations_sit_beside_the_large_one() -> None:
    output = seed(participants=100, orgs=2)
    assert "Seeding 'bench' with 100 participants" in output
    assert "Rows of bench:" in output and "Rows of bench-small-001 (one of 2):" in output
    counts: dict[str, int] = {}
    with across_all_organizations():
        for organization in Organization.objects.all():
            counts[organization.slug] = Participant.objects.filter(
                organization=organization
            ).count()
    assert counts == {"bench": 100, "bench-small-001": SIZE, "bench-small-002": SIZE}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"orgs": -1}, r"--orgs must be 0 or more\."),
        ({"org_size": 11}, r"--org-size must be at least 12\."),
        ({"org_size": 0}, r"--org-size must be at least 12\."),
        ({"orgs": 0}, r"--org-size is the size of each small organisation: give --orgs too\."),
        ({"orgs": 0, "org_size": None}, r"--participants must be at least 100 \(or 0 with --orgs"),
        ({"participants": 99}, r"--participants must be at least 100 \(or 0 with --orgs"),
        ({"org": "x" * 41}, r"--org is too long: the slug .x{41}-small-003. has more than 50"),
        ({"org": "not a slug"}, r"slug"),
    ],
)
def test_options_that_make_no_sense_are_refused_with_a_clear_message(
    options: dict[str, Any], message: str
) -> None:
    with pytest.raises(CommandError, match=message):
        seed(**options)
    assert not Organization.objects.exists()
    assert not User.objects.exists()


def test_slugs_have_as_many_digits_as_the_count_needs() -> None:
    assert small_slugs("acme", 2) == ["acme-small-001", "acme-small-002"]
    assert small_slugs("acme", 1000)[0] == "acme-small-0001"
    assert small_slugs("acme", 1000)[-1] == "acme-small-1000"


def test_a_seeded_row_pointing_nowhere_is_found_before_the_commit() -> None:
    """As a superuser on PostgreSQL the seed turns off the row-by-row checks of foreign keys
    for its transaction: then this check, one query per key, is what stops a seed that wrote a
    row pointing nowhere (a bug in the seed) before anything is committed."""
    seed(orgs=1)
    organization = Organization.objects.get(slug=SLUGS[0])
    assert foreign_keys_check(organization_ids=[organization.pk]) > 50
    with tenant_scope(organization):
        log = SessionLog.objects.select_related("pairing").first()
    assert log is not None
    # Foreign keys are deferred until commit, in both databases: the row can be written.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE pairings_sessionlog SET pairing_id = %s WHERE id = %s", [10**9, log.pk]
        )
    with pytest.raises(
        DanglingForeignKey,
        match=r"pairings_sessionlog\.pairing_id = 1000000000 points at no row of pairings_pairing",
    ):
        foreign_keys_check(organization_ids=[organization.pk])
    # Put back, or the end of the test (which checks constraints) would find it too.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE pairings_sessionlog SET pairing_id = %s WHERE id = %s",
            [log.pairing.pk, log.pk],
        )
