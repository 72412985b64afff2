# ruff: noqa: F811  (the fixture ``pair`` is imported from test_quiet_close)
"""Names as long as the fields allow (80 + 80 for a participant, 150 + 150 for an account) must
not break the quiet-pair messages: a notification subject holds at most 200 characters, and a
failing INSERT on PostgreSQL stops the whole inactivity pass of the organisation (the pair stays
first in line, so every later pass fails on it too), or the one click that keeps the pair."""

from __future__ import annotations

from datetime import timedelta

from mentorship.models import Notification
from pairings.models import Pairing
from pairings.services import quiet as quiet_services
from programs.models import Participant
from tests.conftest import Tenant
from tests.pairings.test_quiet_close import C, day, fresh, pair, run  # noqa: F401

LONG_FIRST, LONG_LAST = "A" * 80, "B" * 80


def test_a_partner_with_a_long_name_still_gets_the_notice(
    alpha: Tenant, pair: Pairing, django_capture_on_commit_callbacks
) -> None:
    with alpha.scope():
        Participant.objects.filter(pk=pair.mentee_id).update(
            first_name=LONG_FIRST, last_name=LONG_LAST
        )
    at = day(C - 7) + timedelta(minutes=1)
    run(alpha, django_capture_on_commit_callbacks, at)  # DataError on PostgreSQL
    assert fresh(alpha, pair).quiet_notice_at == at
    with alpha.scope():  # SQLite stores the overflow: the field's bound is the contract
        assert all(len(s) <= 200 for s in Notification.objects.values_list("subject", flat=True))


def test_a_partner_with_a_long_account_name_can_keep_the_pair(
    alpha: Tenant, pair: Pairing, django_capture_on_commit_callbacks
) -> None:
    run(alpha, django_capture_on_commit_callbacks, day(C - 7))
    user = alpha.participant
    user.first_name, user.last_name = "C" * 150, "D" * 150
    user.save()
    with alpha.scope():
        member = Participant.objects.get(pk=pair.mentor_id).membership
        quiet_services.pairing_keep(pairing=fresh(alpha, pair), membership=member)
    assert fresh(alpha, pair).kept_at is not None
    with alpha.scope():
        assert all(len(s) <= 200 for s in Notification.objects.values_list("subject", flat=True))


def test_the_notice_to_the_partner_of_a_long_name_still_gives_the_closing_day(
    alpha: Tenant, pair: Pairing, django_capture_on_commit_callbacks
) -> None:
    """The subject is cut in the name, not in the day the pair closes (the kernel's own cut,
    at the end, would take the day off)."""
    with alpha.scope():
        Participant.objects.filter(pk=pair.mentee_id).update(
            first_name=LONG_FIRST, last_name=LONG_LAST
        )
    at = day(C - 7) + timedelta(minutes=1)
    run(alpha, django_capture_on_commit_callbacks, at)
    closes = at + timedelta(days=7)
    told = f"{closes.day} {closes:%B %Y}"
    with alpha.scope():
        notice = Notification.objects.get(
            recipient__email=pair.mentor.email, subject__contains="will close"
        )
    assert notice.subject.endswith(f"will close on {told}"), notice.subject
    assert "\u2026" in notice.subject and len(notice.subject) <= 200
