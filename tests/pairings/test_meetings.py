"""Meetings: scheduling in each partner's timezone, calendar invitations sent once, the feed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from smtplib import SMTPException
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from mentorship.models import Membership, Notification, Role, User, hash_token
from mentorship.tasks import dispatch_notification_emails
from pairings import invitations, selectors, timezones
from pairings.ics import FeedEvent, feed_ics, meeting_ics
from pairings.models import CalendarFeed, Meeting, Pairing, ReminderDelivery
from pairings.services import meetings
from pairings.tasks import dispatch_meeting_invitations, send_meeting_invitation
from programs.models import Participant
from tests.conftest import Tenant
from tests.factories import (
    MeetingFactory,
    MembershipFactory,
    PairingFactory,
    ParticipantFactory,
    ProgramFactory,
    UserFactory,
)
from tests.queries import describe, run

LONDON = "Europe/London"
NEW_YORK = "America/New_York"


def test_the_root_urlconf_serves_the_feed_outside_any_organisation() -> None:
    """Calendar apps cannot sign in: the feed is the global route pairings.urls exposes."""
    assert reverse("calendar_feed", kwargs={"token": "x"}) == "/calendar/x.ics"


# --- World -----------------------------------------------------------------------------------


def make_pair(
    tenant: Tenant,
    *,
    junior: Membership | None = None,
    status: str = Pairing.Status.ACTIVE,
    junior_tz: str = LONDON,
    senior_tz: str = NEW_YORK,
) -> Pairing:
    """A pair of the tenant: the junior is its participant member (in London), the senior a new
    member (in New York)."""
    with tenant.scope():
        slug = tenant.organization.slug
        program = ProgramFactory(
            organization=tenant.organization, slug=f"df-{slug}", name="Digital fluency"
        )
        junior = junior or tenant.members[Role.PARTICIPANT]
        senior_user = UserFactory(email=f"senior@{slug}.test", first_name="Sam", last_name="Senior")
        senior = MembershipFactory(
            organization=tenant.organization, user=senior_user, is_participant=True
        )
        mentor = ParticipantFactory(
            program=program,
            membership=junior,
            email=junior.user.email,
            first_name="Jo",
            last_name="Junior",
            side="junior",
            level=2,
            timezone=junior_tz,
        )
        mentee = ParticipantFactory(
            program=program,
            membership=senior,
            email=senior_user.email,
            first_name="Sam",
            last_name="Senior",
            side="senior",
            level=9,
            timezone=senior_tz,
        )
        return PairingFactory(
            program=program,
            mentor=mentor,
            mentee=mentee,
            status=status,
        )


@pytest.fixture
def pair(alpha: Tenant) -> Pairing:
    return make_pair(alpha)


def junior_of(pair: Pairing) -> User:
    return pair.mentor.membership.user


def senior_of(pair: Pairing) -> User:
    return pair.mentee.membership.user


def url(pair: Pairing, suffix: str = "") -> str:
    return f"/o/{pair.organization.slug}/pairs/{pair.pk}/meetings/{suffix}"


def future_year() -> int:
    return timezone.now().year + 2


def last_sunday(year: int, month: int) -> date:
    day = date(year, month + 1, 1) - timedelta(days=1)
    return day - timedelta(days=(day.weekday() + 1) % 7)


def slot(day: date | str, at: str, duration: int = 60, location: str = "Room 4") -> dict:
    return {"date": str(day), "time": at, "duration_minutes": duration, "location": location}


def the_meeting(tenant: Tenant) -> Meeting:
    with tenant.scope():
        return Meeting.objects.select_related("cancelled_by").get()


def schedule(client, pair: Pairing, capture, day: date | str, at: str = "10:00", **extra):
    with capture(execute=True):
        return client.post(url(pair, "new/"), slot(day, at, **extra))


def calendar_of(message: EmailMessage) -> tuple[object, Calendar]:
    (part,) = message.attachments
    return part, Calendar.from_ical(part.get_payload(decode=True))


def event_of(calendar: Calendar) -> object:
    (event,) = calendar.walk("VEVENT")
    return event


# --- The calendar file module, on its own ------------------------------------------------------


def test_an_invitation_file_carries_what_calendar_apps_match_on() -> None:
    raw = meeting_ics(
        uid="meeting-1@reverse-mentoring",
        sequence=3,
        starts_at_utc=datetime(2030, 6, 4, 10, 0, tzinfo=ZoneInfo(LONDON)),
        duration_minutes=45,
        summary="Reverse mentoring",
        description="Notes, with commas; and semicolons",
        location="https://meet.example/abc",
        organizer_email="noreply@example.com",
        attendee_emails=["jo@example.com", "sam@example.com"],
        method="CANCEL",
    )
    calendar = Calendar.from_ical(raw)
    event = event_of(calendar)
    assert calendar["METHOD"] == "CANCEL"
    assert calendar["VERSION"] == "2.0" and calendar["PRODID"]
    assert event["UID"] == "meeting-1@reverse-mentoring"
    assert event["SEQUENCE"] == 3
    assert event["STATUS"] == "CANCELLED"
    assert b"DTSTART:20300604T090000Z" in raw  # 10:00 summer time in London, written in UTC
    assert b"DTEND:20300604T094500Z" in raw
    assert event["DESCRIPTION"] == "Notes, with commas; and semicolons"
    assert str(event["ORGANIZER"]) == "mailto:noreply@example.com"
    assert [str(a) for a in event["ATTENDEE"]] == [
        "mailto:jo@example.com",
        "mailto:sam@example.com",
    ]
    assert "DTSTAMP" in event


def test_a_feed_has_no_method_and_one_event_per_meeting() -> None:
    raw = feed_ics(
        [
            FeedEvent(
                uid=f"m{i}@x",
                sequence=0,
                starts_at_utc=datetime(2030, 1, i + 1, 9, tzinfo=UTC),
                duration_minutes=60,
                summary="Meeting",
            )
            for i in range(2)
        ]
    )
    calendar = Calendar.from_ical(raw)
    assert "METHOD" not in calendar
    assert [e["UID"] for e in calendar.walk("VEVENT")] == ["m0@x", "m1@x"]


def test_naive_times_never_reach_a_calendar_file() -> None:
    with pytest.raises(ValueError):
        meeting_ics(
            uid="u",
            sequence=0,
            starts_at_utc=datetime(2030, 1, 1, 9),
            duration_minutes=60,
            summary="s",
            description="",
            location="",
            organizer_email="o@x",
            attendee_emails=[],
            method="REQUEST",
        )


# --- Scheduling and invitations ------------------------------------------------------------------


def test_scheduling_emails_both_partners_a_calendar_request(
    alpha: Tenant, pair: Pairing, client_for, django_capture_on_commit_callbacks
) -> None:
    day = date(future_year(), 6, 4)
    response = schedule(
        client_for(junior_of(pair)), pair, django_capture_on_commit_callbacks, day, "10:00"
    )
    assert response.status_code == 302
    meeting = the_meeting(alpha)
    assert meeting.uid.startswith("meeting-") and meeting.uid.endswith("@reverse-mentoring")
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [junior_of(pair).email, senior_of(pair).email]
    )
    for message in mail.outbox:
        part, calendar = calendar_of(message)
        assert part.get_content_type() == "text/calendar"
        assert part.get_param("method") == "REQUEST"
        assert part.get_content_charset() == "utf-8"
        assert part.get_filename() == "invite.ics"
        event = event_of(calendar)
        assert calendar["METHOD"] == "REQUEST"
        assert event["UID"] == meeting.uid
        assert event["SEQUENCE"] == 0
        assert event["DTSTART"].to_ical() == f"{day:%Y%m%d}T090000Z".encode()
        assert event["LOCATION"] == "Room 4"
    # Each partner reads the time in their own timezone.
    by_recipient = {m.to[0]: m for m in mail.outbox}
    assert "10:00 BST" in by_recipient[junior_of(pair).email].subject
    assert "05:00 EDT" in by_recipient[senior_of(pair).email].subject


def test_the_partner_gets_an_inbox_message_that_is_not_emailed_a_second_time(
    alpha: Tenant, pair: Pairing, client_for, django_capture_on_commit_callbacks
) -> None:
    schedule(
        client_for(junior_of(pair)),
        pair,
        django_capture_on_commit_callbacks,
        date(future_year(), 6, 4),
    )
    with alpha.scope():
        (notification,) = Notification.objects.all()
    assert notification.recipient == senior_of(pair)  # the one who scheduled saw it on screen
    assert notification.emailed_at is not None
    assert "Jo" in notification.subject or junior_of(pair).display_name in notification.subject
    mail.outbox.clear()
    dispatch_notification_emails.apply()
    assert mail.outbox == []


def test_rescheduling_keeps_the_uid_and_sends_the_next_sequence(
    alpha: Tenant, pair: Pairing, client_for, django_capture_on_commit_callbacks
) -> None:
    year = future_year()
    schedule(client_for(junior_of(pair)), pair, django_capture_on_commit_callbacks, f"{year}-06-04")
    before = the_meeting(alpha)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(senior_of(pair)).post(
            url(pair, f"{before.pk}/edit/"), slot(f"{year}-06-05", "06:30", 30, "Video call")
        )
    assert response.status_code == 302
    after = the_meeting(alpha)
    assert after.uid == before.uid
    assert after.sequence == 1
    # The senior is in New York: 06:30 EDT is 10:30 UTC.
    assert after.starts_at == datetime(year, 6, 5, 10, 30, tzinfo=UTC)
    assert len(mail.outbox) == 2
    for message in mail.outbox:
        _part, calendar = calendar_of(message)
        event = event_of(calendar)
        assert calendar["METHOD"] == "REQUEST"
        assert event["UID"] == before.uid
        assert event["SEQUENCE"] == 1
        assert message.subject.startswith("Updated invitation")


def test_the_edit_form_shows_the_meeting_in_the_viewers_timezone(
    alpha: Tenant, pair: Pairing, client_for, django_capture_on_commit_callbacks
) -> None:
    year = future_year()
    schedule(client_for(junior_of(pair)), pair, django_capture_on_commit_callbacks, f"{year}-06-04")
    meeting = the_meeting(alpha)
    page = client_for(senior_of(pair)).get(url(pair, f"{meeting.pk}/edit/")).content.decode()
    assert 'value="05:00"' in page
    assert "Time (America/New York)" in page


def test_cancelling_sends_a_cancel_and_records_who_cancelled(
    alpha: Tenant, pair: Pairing, client_for, django_capture_on_commit_callbacks
) -> None:
    schedule(
        client_for(junior_of(pair)),
        pair,
        django_capture_on_commit_callbacks,
        date(future_year(), 6, 4),
    )
    meeting = the_meeting(alpha)
    senior = client_for(senior_of(pair))
    assert "Cancel this meeting?" in senior.get(url(pair, f"{meeting.pk}/cancel/")).content.decode()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = senior.post(url(pair, f"{meeting.pk}/cancel/"))
    assert response.status_code == 302
    meeting = the_meeting(alpha)
    assert meeting.cancelled_at is not None
    assert meeting.cancelled_by == senior_of(pair)
    assert meeting.sequence == 1
    assert len(mail.outbox) == 2
    for message in mail.outbox:
        part, calendar = calendar_of(message)
        event = event_of(calendar)
        assert part.get_param("method") == "CANCEL"
        assert calendar["METHOD"] == "CANCEL"
        assert event["STATUS"] == "CANCELLED"
        assert event["UID"] == meeting.uid
        assert event["SEQUENCE"] == 1
    page = client_for(junior_of(pair)).get(url(pair)).content.decode()
    assert f"by {senior_of(pair).display_name}" in page
    assert "Cancelled" in page
    # A cancelled meeting stays cancelled.
    for method in (senior.get, senior.post):
        again = method(url(pair, f"{meeting.pk}/cancel/"), follow=True).content.decode()
        assert "This meeting was cancelled" in again
    assert len(mail.outbox) == 2


def test_a_second_dispatch_of_the_same_invitation_sends_nothing(
    alpha: Tenant, pair: Pairing, client_for, django_capture_on_commit_callbacks
) -> None:
    schedule(
        client_for(junior_of(pair)),
        pair,
        django_capture_on_commit_callbacks,
        date(future_year(), 6, 4),
    )
    meeting = the_meeting(alpha)
    assert len(mail.outbox) == 2
    kwargs = {
        "organization_id": alpha.organization.pk,
        "meeting_id": meeting.pk,
        "sequence": 0,
        "method": "REQUEST",
    }
    assert send_meeting_invitation.apply(kwargs=kwargs).get() == 0
    assert len(mail.outbox) == 2
    with alpha.scope():
        keys = set(ReminderDelivery.objects.values_list("key", flat=True))
    assert keys == {
        f"ics:{meeting.pk}:0:REQUEST:{junior_of(pair).pk}",
        f"ics:{meeting.pk}:0:REQUEST:{senior_of(pair).pk}",
    }


def test_an_invitation_superseded_by_a_later_change_sends_nothing(
    alpha: Tenant, pair: Pairing, client_for, django_capture_on_commit_callbacks
) -> None:
    year = future_year()
    # The first invitation's wake-up is lost (callbacks not run) and the meeting moves.
    with alpha.scope():
        meeting = meetings.meeting_schedule(
            pairing=pair,
            starts_at=datetime(year, 6, 4, 9, tzinfo=UTC),
            duration_minutes=60,
            location="",
            actor=junior_of(pair),
        )
        with django_capture_on_commit_callbacks(execute=True):
            meetings.meeting_reschedule(
                meeting=meeting,
                starts_at=datetime(year, 6, 4, 11, tzinfo=UTC),
                duration_minutes=60,
                location="",
                actor=junior_of(pair),
            )
    assert {event_of(calendar_of(m)[1])["SEQUENCE"] for m in mail.outbox} == {1}
    mail.outbox.clear()
    with alpha.scope():
        assert (
            invitations.meeting_invitation_deliver(
                meeting_id=meeting.pk, sequence=0, method="REQUEST"
            )
            == 0
        )
    assert mail.outbox == []


def test_a_failed_send_releases_its_claim_so_the_retry_sends_it(
    alpha: Tenant, pair: Pairing, monkeypatch
) -> None:
    with alpha.scope():
        meeting = meetings.meeting_schedule(
            pairing=pair,
            starts_at=datetime(future_year(), 6, 4, 9, tzinfo=UTC),
            duration_minutes=60,
            location="",
            actor=junior_of(pair),
        )
    real_send = EmailMessage.send

    def broken(self: EmailMessage, fail_silently: bool = False) -> int:
        raise SMTPException("mail server down")

    monkeypatch.setattr(EmailMessage, "send", broken)
    with alpha.scope(), pytest.raises(SMTPException):
        invitations.meeting_invitation_deliver(meeting_id=meeting.pk, sequence=0, method="REQUEST")
    monkeypatch.setattr(EmailMessage, "send", real_send)
    with alpha.scope():
        assert not ReminderDelivery.objects.filter(sent_at__isnull=False).exists()
        sent = invitations.meeting_invitation_deliver(
            meeting_id=meeting.pk, sequence=0, method="REQUEST"
        )
    assert sent == 2
    assert len(mail.outbox) == 2


def test_the_dispatcher_catches_up_a_lost_wake_up_once(alpha: Tenant, pair: Pairing) -> None:
    with alpha.scope():
        # Scheduled, but the after-commit wake-up never happens (on_commit not run).
        meeting = meetings.meeting_schedule(
            pairing=pair,
            starts_at=datetime(future_year(), 6, 4, 9, tzinfo=UTC),
            duration_minutes=60,
            location="",
            actor=junior_of(pair),
        )
    assert dispatch_meeting_invitations.apply().get() == 0  # its own task may still be coming
    with alpha.scope():
        Meeting.objects.filter(pk=meeting.pk).update(
            updated_at=timezone.now() - timedelta(minutes=2)
        )
    assert dispatch_meeting_invitations.apply().get() == 1
    assert len(mail.outbox) == 2
    assert dispatch_meeting_invitations.apply().get() == 0
    assert len(mail.outbox) == 2


def test_a_partner_without_an_account_is_skipped(
    alpha: Tenant, pair: Pairing, client_for, django_capture_on_commit_callbacks
) -> None:
    with alpha.scope():
        Participant.objects.filter(pk=pair.mentee_id).update(membership=None)
    schedule(
        client_for(junior_of(pair)),
        pair,
        django_capture_on_commit_callbacks,
        date(future_year(), 6, 4),
    )
    assert [m.to for m in mail.outbox] == [[junior_of(pair).email]]
    # The calendar file still names both partners as attendees.
    attendees = [str(a) for a in event_of(calendar_of(mail.outbox[0])[1])["ATTENDEE"]]
    assert f"mailto:{pair.mentee.email}" in attendees


def test_either_partner_downloads_the_current_calendar_file(
    alpha: Tenant, pair: Pairing, client_for, django_capture_on_commit_callbacks
) -> None:
    schedule(
        client_for(junior_of(pair)),
        pair,
        django_capture_on_commit_callbacks,
        date(future_year(), 6, 4),
    )
    meeting = the_meeting(alpha)
    for user in (junior_of(pair), senior_of(pair)):
        response = client_for(user).get(url(pair, f"{meeting.pk}/invite.ics"))
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/calendar")
        assert 'filename="invite.ics"' in response["Content-Disposition"]
        assert event_of(Calendar.from_ical(response.content))["UID"] == meeting.uid


# --- Timezones and daylight saving ---------------------------------------------------------------


def test_local_times_around_the_2027_clock_changes_in_london() -> None:
    london = ZoneInfo(LONDON)
    with pytest.raises(ValidationError) as gap:
        timezones.local_to_utc(local=datetime(2027, 3, 28, 1, 30), tz=london)
    assert gap.value.messages == [timezones.DST_GAP_MESSAGE]
    ambiguous = timezones.local_to_utc(local=datetime(2027, 10, 31, 1, 30), tz=london)
    assert ambiguous == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)  # the first 01:30, in BST
    assert timezones.local_to_utc(local=datetime(2027, 7, 1, 10), tz=london) == datetime(
        2027, 7, 1, 9, tzinfo=UTC
    )


def test_a_time_the_clocks_skip_is_refused_with_a_clear_message(
    alpha: Tenant, pair: Pairing, client_for, django_capture_on_commit_callbacks
) -> None:
    response = schedule(
        client_for(junior_of(pair)), pair, django_capture_on_commit_callbacks, "2027-03-28", "01:30"
    )
    assert response.status_code == 200
    assert (
        "This time does not exist on that day because the clocks change; pick another time"
        in response.content.decode()
    )
    with alpha.scope():
        assert not Meeting.objects.exists()


def test_a_time_the_clocks_pass_twice_is_taken_at_its_first_occurrence(
    alpha: Tenant, pair: Pairing, client_for, django_capture_on_commit_callbacks
) -> None:
    fall_back = last_sunday(future_year(), 10)
    response = schedule(
        client_for(junior_of(pair)), pair, django_capture_on_commit_callbacks, fall_back, "01:30"
    )
    assert response.status_code == 302
    assert the_meeting(alpha).starts_at == datetime.combine(
        fall_back, datetime.min.time().replace(minute=30), tzinfo=UTC
    )


def test_summer_time_is_stored_in_utc_and_each_partner_sees_their_own_time(
    alpha: Tenant, pair: Pairing, client_for, django_capture_on_commit_callbacks
) -> None:
    day = date(future_year(), 7, 1)
    junior = client_for(junior_of(pair))
    schedule(junior, pair, django_capture_on_commit_callbacks, day, "10:00")
    assert the_meeting(alpha).starts_at == datetime(day.year, 7, 1, 9, tzinfo=UTC)
    mine = junior.get(url(pair)).content.decode()
    assert "10:00" in mine and "Europe/London" in mine
    theirs = client_for(senior_of(pair)).get(url(pair)).content.decode()
    assert "05:00" in theirs and "America/New_York" in theirs
    assert "10:00" not in theirs


def test_an_unknown_timezone_falls_back_to_utc(alpha: Tenant, pair: Pairing) -> None:
    with alpha.scope():
        Participant.objects.filter(pk=pair.mentor_id).update(timezone="Mars/Olympus")
        pair.refresh_from_db()
        pairing = Pairing.objects.select_related("mentor", "mentee").get(pk=pair.pk)
        tz = selectors.viewer_timezone(pairing=pairing, membership=pair.mentor.membership)
    assert tz.key == "UTC"


# --- Who may, and when ---------------------------------------------------------------------------


def test_only_the_two_partners_arrange_meetings(
    alpha: Tenant, pair: Pairing, client_for, django_capture_on_commit_callbacks
) -> None:
    schedule(
        client_for(junior_of(pair)),
        pair,
        django_capture_on_commit_callbacks,
        date(future_year(), 6, 4),
    )
    meeting = the_meeting(alpha)
    mail.outbox.clear()
    with alpha.scope():
        other = MembershipFactory(organization=alpha.organization, is_participant=True)
        ParticipantFactory(
            program=pair.program,
            membership=other,
            email=other.user.email,
            first_name="Other",
            last_name="Person",
            side="junior",
        )
    writes = ["new/", f"{meeting.pk}/edit/", f"{meeting.pk}/cancel/", f"{meeting.pk}/invite.ics"]
    for user in (other.user, alpha.hr, alpha.sponsor):
        client = client_for(user)
        for suffix in writes:
            assert client.get(url(pair, suffix)).status_code == 404, (user, suffix)
            if not suffix.endswith(".ics"):
                post = client.post(url(pair, suffix), slot(date(future_year(), 6, 9), "10:00"))
                assert post.status_code == 404, (user, suffix)
    assert the_meeting(alpha).cancelled_at is None
    assert mail.outbox == []
    # The HR admin sees when the pair meets, not where, and no buttons.
    page = client_for(alpha.hr).get(url(pair)).content.decode()
    assert "Room 4" not in page and "Schedule a meeting" not in page
    assert str(meeting.starts_at.year) in page
    # Neither another participant nor a sponsor sees the pair's meetings at all.
    assert client_for(other.user).get(url(pair)).status_code == 404
    assert client_for(alpha.sponsor).get(url(pair)).status_code == 404


def test_a_time_in_the_past_is_refused(
    alpha: Tenant, pair: Pairing, client_for, django_capture_on_commit_callbacks
) -> None:
    yesterday = timezone.now().date() - timedelta(days=1)
    response = schedule(
        client_for(junior_of(pair)), pair, django_capture_on_commit_callbacks, yesterday
    )
    assert response.status_code == 200
    assert "That time has already passed" in response.content.decode()
    with alpha.scope():
        assert not Meeting.objects.exists()
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("day", "message"),
    [
        ("9999-12-31", "Pick a date within the next five years."),
        ("0001-01-01", "That time has already passed"),
    ],
)
def test_a_date_at_the_ends_of_the_calendar_is_refused_not_a_server_error(
    alpha: Tenant, pair: Pairing, client_for, django_capture_on_commit_callbacks, day, message
) -> None:
    """Found by the hostile-form fuzzing: 23:55 on 31 December 9999 plus the meeting's length
    ends in year 10000, which no date holds, and the pair's meeting list failed on it."""
    response = schedule(
        client_for(junior_of(pair)), pair, django_capture_on_commit_callbacks, day, "23:55"
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    with alpha.scope():
        assert not Meeting.objects.exists()
        # The service refuses too, whoever calls it.
        with pytest.raises(ValidationError, match="within the next five years"):
            meetings.meeting_schedule(
                pairing=pair,
                starts_at=timezone.now() + timedelta(days=meetings.MAX_DAYS_AHEAD + 1),
                duration_minutes=60,
                location="Room 4",
                actor=junior_of(pair),
            )
        assert not Meeting.objects.exists()
    assert mail.outbox == []


@pytest.mark.parametrize(
    "status",
    [Pairing.Status.PROPOSED, Pairing.Status.DECLINED, Pairing.Status.DISSOLVED],
)
def test_a_pair_that_is_not_confirmed_or_active_cannot_schedule(
    alpha: Tenant, client_for, django_capture_on_commit_callbacks, status: str
) -> None:
    pair = make_pair(alpha, status=status)
    client = client_for(junior_of(pair))
    assert "Schedule a meeting</a>" not in client.get(url(pair)).content.decode()
    response = schedule(client, pair, django_capture_on_commit_callbacks, date(future_year(), 6, 4))
    assert response.status_code == 200
    assert "only once the pairing is confirmed or active" in response.content.decode()
    with alpha.scope():
        assert not Meeting.objects.exists()


def test_a_confirmed_pair_can_schedule(
    alpha: Tenant, client_for, django_capture_on_commit_callbacks
) -> None:
    pair = make_pair(alpha, status=Pairing.Status.CONFIRMED)
    response = schedule(
        client_for(senior_of(pair)),
        pair,
        django_capture_on_commit_callbacks,
        date(future_year(), 6, 4),
    )
    assert response.status_code == 302


@pytest.mark.parametrize("minutes", [10, 241])
def test_a_meeting_lasts_between_15_minutes_and_4_hours(
    alpha: Tenant, pair: Pairing, client_for, django_capture_on_commit_callbacks, minutes: int
) -> None:
    response = schedule(
        client_for(junior_of(pair)),
        pair,
        django_capture_on_commit_callbacks,
        date(future_year(), 6, 4),
        duration=minutes,
    )
    assert response.status_code == 200
    with alpha.scope():
        assert not Meeting.objects.exists()
        with pytest.raises(ValidationError, match="between 15 and 240"):
            meetings.meeting_schedule(
                pairing=pair,
                starts_at=datetime(future_year(), 6, 4, 9, tzinfo=UTC),
                duration_minutes=minutes,
                location="",
                actor=junior_of(pair),
            )


def test_the_meeting_list_costs_the_same_queries_for_many_meetings(
    alpha: Tenant, pair: Pairing, client_for
) -> None:
    client = client_for(junior_of(pair))

    def add(n: int) -> None:
        with alpha.scope():
            Meeting.objects.bulk_create(
                Meeting(
                    organization=alpha.organization,
                    pairing=pair,
                    starts_at=timezone.now() + timedelta(days=i - n // 2),
                    uid=f"m-{n}-{i}@test",
                    created_by=junior_of(pair),
                    cancelled_by=senior_of(pair) if i % 3 == 0 else None,
                    cancelled_at=timezone.now() if i % 3 == 0 else None,
                )
                for i in range(n)
            )

    # The session, the user, the membership; the pair with its program and both partners; the
    # meetings with who scheduled and who cancelled them; the base page's organisation menu
    # and unread count.
    def page() -> None:
        assert client.get(url(pair)).status_code == 200

    add(2)
    small = run(page)
    add(40)
    large = run(page)
    assert small.count <= 7 and large.count <= 7, describe(small, large)


# --- The personal calendar feed ------------------------------------------------------------------


def create_feed(client, tenant: Tenant) -> str:
    page = client.post(f"/o/{tenant.organization.slug}/calendar/").content.decode()
    start = page.index("http://testserver/calendar/")
    return page[start : page.index('"', start)]


def test_the_feed_lists_the_members_meetings_and_stops_after_revoking(
    alpha: Tenant, pair: Pairing, client_for, client, django_capture_on_commit_callbacks
) -> None:
    junior = client_for(junior_of(pair))
    year = future_year()
    schedule(junior, pair, django_capture_on_commit_callbacks, f"{year}-06-04")
    schedule(junior, pair, django_capture_on_commit_callbacks, f"{year}-06-11")
    cancelled = the_meeting_on(alpha, date(year, 6, 11))
    with django_capture_on_commit_callbacks(execute=True):
        junior.post(url(pair, f"{cancelled.pk}/cancel/"))
    with alpha.scope():
        for days_ago in (30, 70):  # the feed reaches 60 days back
            MeetingFactory(
                pairing=pair,
                starts_at=timezone.now() - timedelta(days=days_ago),
                uid=f"past-{days_ago}@test",
            )
    feed_url = create_feed(junior, alpha)
    token = feed_url.rsplit("/", 1)[1].removesuffix(".ics")
    with alpha.scope():
        assert CalendarFeed.objects.get().token_hash == hash_token(token)  # never the token

    response = client.get(feed_url.removeprefix("http://testserver"))  # signed out: a calendar app
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert "no-cache" in response["Cache-Control"] and "private" in response["Cache-Control"]
    calendar = Calendar.from_ical(response.content)
    assert "METHOD" not in calendar
    events = calendar.walk("VEVENT")
    assert [e["UID"] for e in events] == [
        "past-30@test",
        the_meeting_on(alpha, date(year, 6, 4)).uid,
    ]
    assert events[1]["SUMMARY"] == "Reverse mentoring with Sam Senior"

    settings_page = junior.get(f"/o/{alpha.organization.slug}/calendar/").content.decode()
    assert token not in settings_page  # shown once only
    assert "Turn off the feed" in settings_page
    junior.post(f"/o/{alpha.organization.slug}/calendar/revoke/")
    assert client.get(feed_url.removeprefix("http://testserver")).status_code == 404
    with alpha.scope():
        assert not CalendarFeed.objects.exists()


def the_meeting_on(tenant: Tenant, day: date) -> Meeting:
    with tenant.scope():
        return Meeting.objects.get(starts_at__date=day)


def test_replacing_the_feed_url_ends_the_old_one(
    alpha: Tenant, pair: Pairing, client_for, client
) -> None:
    junior = client_for(junior_of(pair))
    old = create_feed(junior, alpha).removeprefix("http://testserver")
    new = create_feed(junior, alpha).removeprefix("http://testserver")
    assert old != new
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200
    assert client.get("/calendar/not-a-token.ics").status_code == 404


def test_the_feed_leaves_out_other_organisations_meetings(
    alpha: Tenant, beta: Tenant, client_for, client, django_capture_on_commit_callbacks
) -> None:
    # The same person takes part in both organisations, with a meeting in each.
    person = alpha.participant
    with beta.scope():
        in_beta = MembershipFactory(
            organization=beta.organization, user=person, is_participant=True
        )
    alpha_pair = make_pair(alpha)
    beta_pair = make_pair(beta, junior=in_beta)
    client_person = client_for(person)
    schedule(
        client_person, alpha_pair, django_capture_on_commit_callbacks, date(future_year(), 6, 4)
    )
    schedule(
        client_person, beta_pair, django_capture_on_commit_callbacks, date(future_year(), 6, 5)
    )
    alpha_uid, beta_uid = the_meeting(alpha).uid, the_meeting(beta).uid

    feed = create_feed(client_person, alpha).removeprefix("http://testserver")
    uids = [e["UID"] for e in Calendar.from_ical(client.get(feed).content).walk("VEVENT")]
    assert uids == [alpha_uid]
    assert beta_uid not in uids


def test_a_member_who_left_loses_their_feed(
    alpha: Tenant, pair: Pairing, client_for, client
) -> None:
    feed = create_feed(client_for(junior_of(pair)), alpha).removeprefix("http://testserver")
    with alpha.scope():
        Membership.objects.filter(pk=pair.mentor.membership_id).update(removed_at=timezone.now())
    assert client.get(feed).status_code == 404
