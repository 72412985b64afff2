"""Helpers of the "Find a time" tests: weekly hours for a pair (junior in London 13:00-18:00,
senior in New York 08:00-13:00, every day), times some days ahead, and a proposal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.utils import timezone

from mentorship.models import User
from pairings.models import MeetingProposal, Pairing
from pairings.services import proposals
from tests.conftest import Tenant

EVERY_DAY_LONDON = [[d, "13:00", "18:00"] for d in range(7)]
EVERY_DAY_NEW_YORK = [[d, "08:00", "13:00"] for d in range(7)]


def with_hours(tenant: Tenant, pair: Pairing) -> Pairing:
    with tenant.scope():
        pair.mentor.weekly_availability = EVERY_DAY_LONDON
        pair.mentor.save(update_fields=["weekly_availability"])
        pair.mentee.weekly_availability = EVERY_DAY_NEW_YORK
        pair.mentee.save(update_fields=["weekly_availability"])
    return pair


def junior_of(pair: Pairing) -> User:
    return pair.mentor.membership.user


def senior_of(pair: Pairing) -> User:
    return pair.mentee.membership.user


def days_ahead(days: int, hour: int = 15, minute: int = 0) -> datetime:
    """A UTC time ``days`` from today, on the hour given."""
    day = (timezone.now() + timedelta(days=days)).date()
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def propose(
    tenant: Tenant, pair: Pairing, *, times: list[datetime] | None = None, **extra: object
) -> MeetingProposal:
    """The junior proposes ``times`` (three afternoons by default) to the senior."""
    times = times or [days_ahead(3), days_ahead(4), days_ahead(5)]
    with tenant.scope():
        return proposals.proposal_create(
            pairing=pair,
            actor=junior_of(pair),
            slots=times,
            duration_minutes=60,
            location=str(extra.get("location", "Room 4")),
            message=str(extra.get("message", "")),
        )
