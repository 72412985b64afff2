"""The member's page for their own calendar: connect, see the reading, check now, remove.
The address is a secret: refused unless public https, stored encrypted, shown back masked."""

from __future__ import annotations

from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from mentorship.events import fence
from mentorship.identity.secrets import decrypt
from mentorship.models import Membership, Role
from mentorship.tenancy import across_all_organizations
from pairings.freebusy import to_epoch_pairs
from pairings.models import BusyCalendar
from tests.conftest import Tenant
from tests.factories import ParticipantFactory, ProgramFactory

GOOGLE = (
    "https://calendar.google.com/calendar/ical/sam%40example.com/"
    "private-0123456789abcdef0123456789abcdef/basic.ics"
)
ICLOUD = "webcal://p52-caldav.icloud.com/published/2/MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkw"


@pytest.fixture(autouse=True)
def _names(monkeypatch: pytest.MonkeyPatch) -> None:
    """Names resolved as the tests need, without a DNS server."""
    real = fence.resolve
    answers = {
        "calendar.google.com": ["142.250.74.238"],
        "p52-caldav.icloud.com": ["17.248.190.91"],
        "intranet.example": ["10.1.2.3"],
        "rebound.example": ["93.184.216.34", "127.0.0.1"],
    }
    monkeypatch.setattr(fence, "resolve", lambda host, port: answers.get(host) or real(host, port))


@pytest.fixture(autouse=True)
def _fence_on(settings: object) -> None:
    settings.CALENDARS_ALLOW_PRIVATE_NETWORKS = False  # type: ignore[attr-defined]


def page(tenant: Tenant) -> str:
    return f"/o/{tenant.organization.slug}/calendar/busy/"


def calendar_of(membership: Membership) -> BusyCalendar | None:
    with across_all_organizations():
        return BusyCalendar.objects.filter(membership=membership).first()


def test_a_member_without_a_program_connects_their_calendar(
    alpha: Tenant, client_for, django_capture_on_commit_callbacks
) -> None:
    """A sponsor (no participation) may use it, for themselves: stored encrypted, masked on
    the page, the first reading queued once committed."""
    client = client_for(alpha.sponsor)
    first = client.get(page(alpha)).content.decode()
    assert "only when you are busy" in first
    with django_capture_on_commit_callbacks() as queued:
        response = client.post(page(alpha), {"url": GOOGLE})
    assert response.status_code == 302
    assert len(queued) == 1
    calendar = calendar_of(alpha.members[Role.SPONSOR])
    assert calendar.state == BusyCalendar.State.PENDING
    assert GOOGLE not in calendar.url_encrypted
    assert decrypt(calendar.url_encrypted) == GOOGLE
    assert calendar.url_hint == "https://calendar.google.com/…/basic.ics"
    shown = client.get(page(alpha)).content.decode()
    assert "https://calendar.google.com/…/basic.ics" in shown
    assert "private-0123456789abcdef" not in shown
    assert "sam%40example.com" not in shown
    assert "Not read yet" in shown


def test_a_webcal_address_is_read_over_https_and_its_secret_last_part_is_masked(
    alpha: Tenant, client_for
) -> None:
    client_for(alpha.participant).post(page(alpha), {"url": ICLOUD})
    calendar = calendar_of(alpha.members[Role.PARTICIPANT])
    assert decrypt(calendar.url_encrypted) == ICLOUD.replace("webcal://", "https://")
    assert calendar.url_hint == "https://p52-caldav.icloud.com/…"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://calendar.google.com/basic.ics", "must start with https://"),
        ("ftp://calendar.google.com/basic.ics", "Enter the full private address"),
        ("https://user:pw@calendar.google.com/basic.ics", "Enter the full private address"),
        ("calendar.google.com/basic.ics", "Enter the full private address"),
        ("https://127.0.0.1/basic.ics", "loopback"),
        ("https://[::1]/basic.ics", "loopback"),
        ("https://10.0.0.7/basic.ics", "private network"),
        ("https://192.168.1.20/basic.ics", "private network"),
        ("https://intranet.example/basic.ics", "private network"),
        ("https://localhost/basic.ics", "loopback"),
        ("https://rebound.example/basic.ics", "loopback"),
        ("https://169.254.169.254/latest/meta-data/", "link-local or cloud metadata"),
        ("https://does-not-exist.invalid/basic.ics", "does not exist"),
        ("https://calendar.google.com/" + "a" * 2000, "Ensure this value has at most 2000"),
        ("", "This field is required"),
    ],
)
def test_an_address_that_cannot_be_read_is_refused_with_a_reason(
    alpha: Tenant, client_for, url: str, message: str
) -> None:
    response = client_for(alpha.participant).post(page(alpha), {"url": url})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert calendar_of(alpha.members[Role.PARTICIPANT]) is None


@pytest.mark.parametrize(
    "url",
    ["https://169.254.169.254/latest/meta-data/", "https://[fd00:ec2::254]/", "http://[fe80::1]/"],
)
def test_metadata_addresses_are_refused_even_when_private_networks_are_allowed(
    alpha: Tenant, client_for, settings: object, url: str
) -> None:
    settings.CALENDARS_ALLOW_PRIVATE_NETWORKS = True  # type: ignore[attr-defined]
    response = client_for(alpha.participant).post(page(alpha), {"url": url})
    assert "link-local or cloud metadata" in response.content.decode()
    assert calendar_of(alpha.members[Role.PARTICIPANT]) is None


def test_the_operator_setting_allows_an_on_premises_calendar(
    alpha: Tenant, client_for, settings: object
) -> None:
    settings.CALENDARS_ALLOW_PRIVATE_NETWORKS = True  # type: ignore[attr-defined]
    client_for(alpha.participant).post(page(alpha), {"url": "http://intranet.example/cal.ics"})
    assert calendar_of(alpha.members[Role.PARTICIPANT]) is not None


def test_a_failing_calendar_says_why_and_when_it_was_last_read(alpha: Tenant, client_for) -> None:
    client = client_for(alpha.participant)
    client.post(page(alpha), {"url": GOOGLE})
    read_at = timezone.now() - timedelta(hours=3)
    soon = timezone.now() + timedelta(days=1)
    with across_all_organizations():
        BusyCalendar.objects.filter(membership=alpha.members[Role.PARTICIPANT]).update(
            state=BusyCalendar.State.FAILING,
            fetched_at=read_at,
            last_attempt_at=timezone.now(),
            last_error="The calendar was not found (HTTP 404): it may have been unpublished.",
            busy=to_epoch_pairs([(soon, soon + timedelta(hours=1))]),
        )
    shown = client.get(page(alpha)).content.decode()
    assert "cannot be read right now" in shown
    assert "not found (HTTP 404)" in shown
    assert read_at.strftime("%Y") in shown and "Last good reading" in shown
    assert "count as unknown, not free" in shown


def test_check_now_reads_again_at_most_once_a_minute(
    alpha: Tenant, client_for, django_capture_on_commit_callbacks
) -> None:
    client = client_for(alpha.participant)
    client.post(page(alpha), {"url": GOOGLE})
    membership = alpha.members[Role.PARTICIPANT]
    with across_all_organizations():
        BusyCalendar.objects.filter(membership=membership).update(
            next_fetch_at=timezone.now() + timedelta(minutes=14),
            last_attempt_at=timezone.now() - timedelta(minutes=2),
        )
    with django_capture_on_commit_callbacks() as queued:
        client.post(page(alpha), {"action": "check"})
    assert len(queued) == 1
    assert calendar_of(membership).next_fetch_at <= timezone.now()
    with across_all_organizations():
        BusyCalendar.objects.filter(membership=membership).update(last_attempt_at=timezone.now())
    with django_capture_on_commit_callbacks() as queued:
        response = client.post(page(alpha), {"action": "check"}, follow=True)
    assert queued == []
    assert "less than a minute ago" in response.content.decode()


def test_removing_asks_first_then_forgets_the_address(alpha: Tenant, client_for) -> None:
    client = client_for(alpha.participant)
    client.post(page(alpha), {"url": GOOGLE})
    confirm = client.get(page(alpha) + "remove/")
    assert confirm.status_code == 200
    assert "Disconnect your calendar?" in confirm.content.decode()
    assert calendar_of(alpha.members[Role.PARTICIPANT]) is not None
    response = client.post(page(alpha) + "remove/")
    assert response.status_code == 302
    assert calendar_of(alpha.members[Role.PARTICIPANT]) is None


def test_the_remove_page_without_a_calendar_goes_back(alpha: Tenant, client_for) -> None:
    response = client_for(alpha.participant).get(page(alpha) + "remove/")
    assert response.status_code == 302


def test_each_member_sees_and_removes_only_their_own(alpha: Tenant, client_for) -> None:
    client_for(alpha.participant).post(page(alpha), {"url": GOOGLE})
    hr = client_for(alpha.hr)
    assert "calendar.google.com/…" not in hr.get(page(alpha)).content.decode()
    hr.post(page(alpha) + "remove/")
    assert calendar_of(alpha.members[Role.PARTICIPANT]) is not None


def test_other_organisations_and_visitors_get_nothing(
    alpha: Tenant, beta: Tenant, client_for, client
) -> None:
    outsider = client_for(beta.participant)
    assert outsider.get(page(alpha)).status_code == 404
    assert outsider.post(page(alpha), {"url": GOOGLE}).status_code == 404
    assert outsider.post(page(alpha) + "remove/").status_code == 404
    assert calendar_of(beta.members[Role.PARTICIPANT]) is None
    assert client.get(page(alpha)).status_code == 302  # to sign in


def test_the_calendar_feed_page_links_here(alpha: Tenant, client_for) -> None:
    shown = client_for(alpha.participant).get(f"/o/{alpha.organization.slug}/calendar/")
    assert page(alpha) in shown.content.decode()


def test_a_read_calendar_shows_the_next_busy_times_in_the_members_zone(
    alpha: Tenant, client_for
) -> None:
    membership = alpha.members[Role.PARTICIPANT]
    ParticipantFactory(
        program=ProgramFactory(organization=alpha.organization),
        membership=membership,
        timezone="Europe/Paris",
    )
    client = client_for(alpha.participant)
    client.post(page(alpha), {"url": GOOGLE})
    start = (timezone.now() + timedelta(days=2)).replace(
        hour=8, minute=0, second=0, microsecond=0, tzinfo=UTC
    )
    with across_all_organizations():
        BusyCalendar.objects.filter(membership=membership).update(
            state=BusyCalendar.State.OK,
            fetched_at=timezone.now(),
            busy=to_epoch_pairs([(start, start + timedelta(hours=1))]),
        )
    shown = client.get(page(alpha)).content.decode()
    paris = start.astimezone(ZoneInfo("Europe/Paris"))
    assert f"{paris:%H}:00" in shown and paris.tzname() in shown
    assert "Europe/Paris" in shown
