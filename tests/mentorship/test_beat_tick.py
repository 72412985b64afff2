"""Background work costs what is due: with nothing due, a tick of every dispatcher, and each
organisation's reminder and survey pass, runs the same few queries whatever the organisation's
size. And ``manage.py beat_tick``, which operators use to look at a stuck queue."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from feedback.services.cycles import cycles_dispatch
from mentorship.frame.ticks import DISPATCHERS, tick
from mentorship.models import Notification, Organization
from mentorship.tenancy import across_all_organizations, tenant_scope
from pairings.models import Meeting
from pairings.reminders import reminders_send_due
from tests.conftest import Tenant
from tests.factories import MeetingFactory
from tests.pairings.conftest import active_pair, matching_program  # noqa: F401 (a fixture)

# The limit for a pass that finds nothing due.
MAX_QUERIES = 20
SMALL, LARGE = 200, 2000


def _seed(slug: str, participants: int) -> Organization:
    call_command(
        "seed_scale", "--org", slug, "--participants", str(participants), stdout=StringIO()
    )
    return Organization.objects.get(slug=slug)


def _quiet_figures(organization: Organization) -> dict[str, int]:
    """Queries of a tick and of the organisation's own passes, once what is due now is sent."""
    now = timezone.now()
    tick(now=now, organization=organization)
    tick(now=now, organization=organization)
    with across_all_organizations():
        # Their emails went out (the dispatcher leaves the last 30 s to their own wake-up).
        Notification.objects.filter(organization=organization).update(emailed_at=now)
        # Seeded an hour ago, as far as the invitation catch-up goes: on a slow machine the
        # seed outlasts its one-minute grace, and the meetings would look freshly changed.
        Meeting.objects.filter(organization=organization).update(
            updated_at=now - timedelta(hours=1)
        )
    figures = {
        row.name: row.queries
        for row in tick(now=now, organization=organization)
        if not row.due or pytest.fail(f"{row.name}: {row.due} still due after two ticks")
    }
    with tenant_scope(organization):
        with CaptureQueriesContext(connection) as reminder_pass:
            assert reminders_send_due(organization=organization, now=now) == 0
        with CaptureQueriesContext(connection) as cycle_pass:
            assert not any(cycles_dispatch(organization=organization, now=now).values())
    figures["reminder pass"] = len(reminder_pass)
    figures["survey pass"] = len(cycle_pass)
    return figures


def test_a_pass_with_nothing_due_costs_the_same_few_queries_at_ten_times_the_size(db) -> None:
    small = _quiet_figures(_seed("small", SMALL))
    large = _quiet_figures(_seed("large", LARGE))
    assert large == small, "a quiet pass must not grow with the organisation"
    assert sum(v for k, v in large.items() if k in {d.name for d in DISPATCHERS}) <= MAX_QUERIES
    assert large["reminder pass"] <= MAX_QUERIES and large["survey pass"] <= MAX_QUERIES


def test_the_seeded_organisation_had_work_due_that_the_first_tick_sent(db) -> None:
    organization = _seed("busy", SMALL)
    first = {row.name: row for row in tick(now=timezone.now(), organization=organization)}
    assert first["meeting reminders and quiet pairs"].due > 0
    assert first["meeting reminders and quiet pairs"].sent > 0


@pytest.fixture
def due_meeting(alpha: Tenant, matching_program) -> Meeting:  # noqa: F811
    pairing = active_pair(alpha, matching_program)
    with alpha.scope():
        return MeetingFactory(pairing=pairing, starts_at=timezone.now() + timedelta(minutes=50))


def test_beat_tick_prints_each_dispatcher_and_sends_what_is_due(
    due_meeting: Meeting, alpha: Tenant, django_capture_on_commit_callbacks
) -> None:
    out = StringIO()
    call_command("beat_tick", "--dry-run", stdout=out)
    assert "dry run: nothing sent" in out.getvalue()
    assert not Notification.objects.exists()
    for dispatcher in DISPATCHERS:
        assert dispatcher.name in out.getvalue()
    reminders_line = next(
        line for line in out.getvalue().splitlines() if line.startswith("meeting reminders")
    )
    # due, organisations, sent: the meeting is due (the pair's first quiet check too).
    assert reminders_line.split()[-5:-2] == ["2", "1", "0"]

    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("beat_tick", "--org", alpha.organization.slug, stdout=out)
    reminders_line = next(
        line for line in out.getvalue().splitlines() if line.startswith("meeting reminders")
    )
    assert reminders_line.split()[-3] == "2"  # one reminder to each partner
    assert sorted(m.to[0] for m in mail.outbox if m.subject.startswith("Reminder")) == sorted(
        [due_meeting.pairing.mentor.email, due_meeting.pairing.mentee.email]
    )
    # Sent once: a second tick finds nothing due.
    out = StringIO()
    call_command("beat_tick", stdout=out)
    assert out.getvalue().splitlines()[-1].split()[1] == "0"


def test_beat_tick_of_another_organisation_leaves_this_one_alone(
    due_meeting: Meeting, beta: Tenant
) -> None:
    out = StringIO()
    call_command("beat_tick", "--org", beta.organization.slug, stdout=out)
    assert not Notification.objects.exists()
    with pytest.raises(CommandError, match="No organisation has the slug 'nope'"):
        call_command("beat_tick", "--org", "nope", stdout=StringIO())
