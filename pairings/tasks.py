"""Background work of the pairings app: matching proposals, reminders and meeting invitations.

Tasks call the module that does the work (``match_computation``, ``reminders``,
``invitations``) and never the services that enqueue them, so imports run one way:
``services`` → ``tasks`` → the work.

Meeting invitations are sent after commit, and a dispatcher catches up a lost wake-up (beat:
``dispatch_meeting_invitations`` every minute).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from celery import shared_task
from django.utils import timezone

from mentorship.models import Organization
from mentorship.tasks import ReliableTask, SendTask, TenantTask
from pairings import busy_fetch, invitations, reminders
from pairings.ics import Method
from pairings.match_computation import match_run_compute
from pairings.models import MatchRun


@shared_task(base=TenantTask)
def compute_match_run(*, organization_id: int, run_id: int) -> str:
    """Compute one proposal. Idempotent: a finished run is left as it is."""
    run = MatchRun.objects.select_related("program").get(pk=run_id)
    try:
        return match_run_compute(run=run).status
    except Exception:
        MatchRun.objects.filter(pk=run.pk, status=MatchRun.Status.RUNNING).update(
            status=MatchRun.Status.FAILED
        )
        raise


@shared_task(base=ReliableTask)
def dispatch_reminders() -> int:
    """Beat dispatcher: one reminder pass per organisation with a meeting or a pair due."""
    now = timezone.now()
    reminders.quiet_checks_follow_setting(now=now)
    organizations = reminders.organizations_due_across_organizations(now=now)
    for organization_id in organizations:
        send_due_reminders.delay(organization_id=organization_id)
    return len(organizations)


# A burst (thousands of meetings at the same hour) is split into tasks of this many meetings, so
# every worker shares it instead of one working through it alone. Each task's meetings are
# leased to it for LEASE: a later dispatch leaves them alone meanwhile.
MEETING_CHUNK = 100
LEASE = timedelta(minutes=5)


@shared_task(base=TenantTask)
def send_due_reminders(*, organization_id: int) -> int:
    """Send what is due in one organisation; every send is claimed first, so reruns are safe."""
    organization = Organization.objects.get(pk=organization_id)
    now = timezone.now()
    due_ids = reminders.meetings_due_ids(now=now, limit=reminders.PASS_LIMIT * 10)
    if len(due_ids) > MEETING_CHUNK:
        until = now + LEASE
        reminders.meetings_lease(meeting_ids=due_ids, now=now, until=until)
        for start in range(0, len(due_ids), MEETING_CHUNK):
            send_meeting_reminders.delay_on_commit(
                organization_id=organization_id,
                meeting_ids=due_ids[start : start + MEETING_CHUNK],
                leased_until=until.isoformat(),
            )
        sent = 0
    else:
        sent = reminders.meeting_reminders(organization=organization, now=now, meeting_ids=due_ids)
    return sent + reminders.inactivity_nudges(organization=organization, now=now)


@shared_task(base=TenantTask)
def send_meeting_reminders(
    *, organization_id: int, meeting_ids: list[int], leased_until: str | None = None
) -> int:
    """One share of a burst: these meetings, if they are still leased to it (or due) when it
    runs."""
    return reminders.meeting_reminders(
        organization=Organization.objects.get(pk=organization_id),
        now=timezone.now(),
        meeting_ids=meeting_ids,
        leased_until=datetime.fromisoformat(leased_until) if leased_until else None,
    )


# Claim and send in one transaction (see SendTask): a worker killed between them loses nothing.
# Named as in its old module (pairings.meeting_tasks): messages queued before a deploy still run.
@shared_task(base=SendTask, name="pairings.meeting_tasks.send_meeting_invitation")
def send_meeting_invitation(
    *, organization_id: int, meeting_id: int, sequence: int, method: Method
) -> int:
    """Email one change of a meeting (its calendar file) to both partners, once each."""
    return invitations.meeting_invitation_deliver(
        meeting_id=meeting_id, sequence=sequence, method=method
    )


# Named as in its old module: the beat schedule (settings) and queued messages use this name.
@shared_task(base=ReliableTask, name="pairings.meeting_tasks.dispatch_meeting_invitations")
def dispatch_meeting_invitations() -> int:
    """Beat dispatcher: one send per recent meeting change whose invitations are not all out."""
    due = invitations.meeting_invitations_due_across_organizations()
    for organization_id, meeting_id, sequence, method in due:
        send_meeting_invitation.delay(
            organization_id=organization_id, meeting_id=meeting_id, sequence=sequence, method=method
        )
    return len(due)


# --- Free/busy from people's own calendars (``pairings.busy_fetch``) ------------------------------


@shared_task(base=ReliableTask)
def dispatch_busy_calendar_fetches() -> int:
    """Beat dispatcher: one read per calendar due (every 15 minutes each), across organisations.
    The calendars sent for are leased, so the next minute's pass does not send for them again."""
    due = busy_fetch.calendars_due_across_organizations(now=timezone.now())
    for organization_id, calendar_id in due:
        fetch_busy_calendar.delay(organization_id=organization_id, calendar_id=calendar_id)
    return len(due)


@shared_task(base=TenantTask)
def fetch_busy_calendar(*, organization_id: int, calendar_id: int) -> str:
    """Read one calendar. Idempotent: it is claimed first, and a calendar read a moment ago
    (a repeated or redelivered task) is left alone."""
    return busy_fetch.busy_calendar_fetch(calendar_id=calendar_id)
