"""Seed a large, deterministic organisation for benchmarks.

``manage.py seed_scale --org bench --participants 20000 --seed 1 [--password P] [--replace]``

What it builds, and how, is ``mentorship.frame.seeding`` (see its docstring); this command checks
the options, deletes the old organisation when asked, runs the build in one transaction, then
analyses the tables on PostgreSQL and reports the rows per table.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_slug
from django.db import connection, transaction

from mentorship.frame.seeding.organizations import delete_organization, table_counts
from mentorship.frame.seeding.programs import PROGRAMS
from mentorship.frame.seeding.seeder import organization_seed
from mentorship.models import Organization, User
from mentorship.web import error_text

DEFAULT_PASSWORD = "bench-password"
MIN_PARTICIPANTS = 100


class Command(BaseCommand):
    help = (
        "Build a large, deterministic organisation for benchmarks (default: 'bench', 20,000 "
        "participants). Every account's password is printed at the end."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", default="bench", help="Slug of the organisation to create.")
        parser.add_argument(
            "--participants",
            type=int,
            default=20_000,
            help="Participants; pairs, meetings, logs and answers grow in proportion.",
        )
        parser.add_argument("--seed", type=int, default=1, help="Same seed, same data.")
        parser.add_argument(
            "--password", default=DEFAULT_PASSWORD, help="Password of every seeded account."
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Delete the organisation first if it exists, with everything it owns.",
        )

    def handle(
        self,
        *args: Any,
        org: str,
        participants: int,
        seed: int,
        password: str,
        replace: bool,
        **options: Any,
    ) -> None:
        try:
            validate_slug(org)
        except ValidationError as exc:
            raise CommandError(error_text(exc)) from exc
        if participants < MIN_PARTICIPANTS:
            raise CommandError(f"--participants must be at least {MIN_PARTICIPANTS}.")
        started = time.perf_counter()
        write = self.stdout.write
        with transaction.atomic():
            existing = Organization.objects.filter(slug=org).first()
            if existing is not None and not replace:
                raise CommandError(
                    f"An organisation with the slug '{org}' already exists. Pass another --org, "
                    "or --replace to delete it and everything it owns, then seed it again."
                )
            write(f"Seeding '{org}' with {participants:,} participants (seed {seed}):")
            if existing is not None:
                t = time.perf_counter()
                delete_organization(existing)
                write(f"  {'deleted the old one':<22} {time.perf_counter() - t:6.1f} s")
            if User.objects.filter(email__iendswith=f"@{org}.example").exists():
                raise CommandError(
                    f"Accounts under @{org}.example exist outside the organisation '{org}'. "
                    "Choose another --org."
                )
            organization = organization_seed(
                slug=org, participants=participants, seed=seed, password=password, out=write
            )
            t = time.perf_counter()
        # Foreign keys are deferred: PostgreSQL checks every new row's here, most of the commit.
        write(f"  {'commit':<22} {time.perf_counter() - t:6.1f} s")
        if connection.vendor == "postgresql":
            # Fresh planner statistics: autovacuum would analyse the new rows only later, and
            # until then the planner guesses (the dashboards' joins ran 40 times slower).
            t = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            write(f"  {'analyse':<22} {time.perf_counter() - t:6.1f} s")
        t = time.perf_counter()
        counts = table_counts(organization)
        write(f"  {'count':<22} {time.perf_counter() - t:6.1f} s")
        write("Rows:")
        for table, count in counts.items():
            write(f"  {table:<34} {count:>10,}")
        total = time.perf_counter() - started
        write(self.style.SUCCESS(f"Done in {total:.1f} s: /o/{org}/"))
        write(f"  password of every account: {password}")
        write(
            f"  admin@{org}.example (HR admin), sponsor@{org}.example (sponsor of every program),"
        )
        write(f"  participant@{org}.example (a junior in {PROGRAMS[0].name!r}, with a live pair)")
