"""What every part of the seed shares: the organisation being built, the parameters, the one
random generator, the row writer and the calendar."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from django.utils import timezone

from mentorship.frame.seeding.rows import Writer
from mentorship.models import Organization


class Context:
    """Passed to every stage of the build."""

    def __init__(
        self, *, organization: Organization, participants: int, seed: int, password: str
    ) -> None:
        self.organization, self.org_id = organization, organization.pk
        self.slug, self.participants, self.password = organization.slug, participants, password
        # One generator for the whole build: the same seed gives the same rows as long as the
        # modules draw from it in the same order (see seeder).
        self.rng = random.Random(seed)
        self.writer = Writer()
        # Every date is a whole number of days from today's midnight (UTC), so the same seed
        # gives the same data relative to the day of the run, whatever its time of day.
        self.midnight = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)

    def at(self, day: int, hour: float = 0) -> datetime:
        return self.midnight + timedelta(days=day, hours=hour)

    def day(self, day: int) -> date:
        return self.at(day).date()
