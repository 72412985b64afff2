"""What every part of the seed shares: the organisation being built, its shape, the parameters,
the one random generator, the row writer and the calendar."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from mentorship.frame.seeding.rows import Writer
from mentorship.frame.seeding.shapes import Shape
from mentorship.models import Organization


class Context:
    """Passed to every stage of the build of one organisation.

    ``seed`` starts the organisation's own random generator; ``now`` is the moment of the run,
    the same for every organisation of a run; ``writer`` may be shared by several
    organisations, so that their rows go to the database in the same large batches."""

    def __init__(
        self,
        *,
        organization: Organization,
        shape: Shape,
        participants: int,
        seed: int | str,
        password_hash: str,
        now: datetime,
        writer: Writer,
    ) -> None:
        self.organization, self.org_id = organization, organization.pk
        self.slug, self.participants = organization.slug, participants
        self.password_hash = password_hash  # of every account: hashing is slow by design
        self.shape, self.programs = shape, shape.programs
        # One generator for the whole build: the same seed gives the same rows as long as the
        # modules draw from it in the same order (see seeder).
        self.rng = random.Random(seed)
        self.writer = writer
        # Every date is a whole number of days from today's midnight (UTC), so the same seed
        # gives the same data relative to the day of the run, whatever its time of day.
        self.midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
        # What the dispatchers would find due is worked out at the moment of the run.
        self.now = now
        # Except the meetings whose reminder falls due soon (see Shape): from the minute.
        self.minute = now.replace(second=0, microsecond=0)

    def at(self, day: int, hour: float = 0) -> datetime:
        return self.midnight + timedelta(days=day, hours=hour)

    def day(self, day: int) -> date:
        return self.at(day).date()
