"""Seed a large, deterministic organisation for benchmarks, and many small ones beside it.

``manage.py seed_scale --org bench --participants 20000 [--orgs 500 --org-size 40] --seed 1
[--password P] [--replace]``

What it builds, and how, is ``mentorship.frame.seeding`` (see its docstring); this command checks
the options, deletes the old organisations when asked, runs the build in one transaction, then
analyses the tables on PostgreSQL and reports the rows per table.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_slug
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from mentorship.frame.seeding.integrity import (
    DanglingForeignKey,
    foreign_keys_check,
    row_checks_off,
)
from mentorship.frame.seeding.organizations import delete_organizations, table_counts
from mentorship.frame.seeding.seeder import organization_seed, small_organizations_seed
from mentorship.frame.seeding.shapes import PROGRAMS
from mentorship.models import Organization, User
from mentorship.web import error_text

DEFAULT_PASSWORD = "bench-password"
MIN_PARTICIPANTS = 100
# Two juniors and two seniors in each of a small organisation's three programs: each program
# then has pairs, and the active ones enough approved people for the concerns raised.
MIN_ORG_SIZE = 12
DEFAULT_ORG_SIZE = 40
SLUG_LENGTH = Organization._meta.get_field("slug").max_length


def small_slugs(org: str, count: int) -> list[str]:
    """``<org>-small-001`` to ``<org>-small-<count>``: at least three digits, as many as the
    count needs, so the slugs sort in order."""
    width = max(3, len(str(count)))
    return [f"{org}-small-{n:0{width}d}" for n in range(1, count + 1)]


class Command(BaseCommand):
    help = (
        "Build a large, deterministic organisation for benchmarks (default: 'bench', 20,000 "
        "participants) and, with --orgs, many small ones beside it ('bench-small-001', ...). "
        "Every account's password is printed at the end."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--org",
            default="bench",
            help="Slug of the large organisation, and the start of the small ones' slugs.",
        )
        parser.add_argument(
            "--participants",
            type=int,
            default=20_000,
            help=(
                f"Participants of the large organisation (at least {MIN_PARTICIPANTS}; 0 with "
                "--orgs: small organisations only); pairs, meetings, logs and answers grow in "
                "proportion."
            ),
        )
        parser.add_argument(
            "--orgs",
            type=int,
            default=0,
            help="Small organisations to build beside the large one: <org>-small-001, ...",
        )
        parser.add_argument(
            "--org-size",
            type=int,
            default=None,
            help=(
                f"Participants of each small organisation (default {DEFAULT_ORG_SIZE}, at "
                f"least {MIN_ORG_SIZE})."
            ),
        )
        parser.add_argument("--seed", type=int, default=1, help="Same seed, same data.")
        parser.add_argument(
            "--password", default=DEFAULT_PASSWORD, help="Password of every seeded account."
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help=(
                "Delete first the organisations this run builds, if they exist, with "
                "everything they own (with --orgs: every <org>-small-NNN, however many)."
            ),
        )

    def handle(
        self,
        *args: Any,
        org: str,
        participants: int,
        orgs: int,
        org_size: int | None,
        seed: int,
        password: str,
        replace: bool,
        **options: Any,
    ) -> None:
        size = _check(org=org, participants=participants, orgs=orgs, org_size=org_size)
        slugs = small_slugs(org, orgs)
        started = time.perf_counter()
        now = timezone.now()
        write = self.stdout.write
        with transaction.atomic():
            old = _existing(org=org, participants=participants, orgs=orgs, replace=replace)
            checks_off = row_checks_off()  # then checked by table below
            if connection.vendor == "postgresql":
                # The summaries' aggregates and the foreign-key checks group millions of rows:
                # with the default 4 MB each spills to temporary files.
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL work_mem = '64MB'")
            if old:
                t = time.perf_counter()
                delete_organizations(old)
                write(f"Deleted the old ones in {time.perf_counter() - t:.1f} s.")
            _check_accounts(org=org, participants=participants, orgs=orgs)
            organization = None
            if participants:
                write(f"Seeding '{org}' with {participants:,} participants (seed {seed}):")
                organization = organization_seed(
                    slug=org,
                    participants=participants,
                    seed=seed,
                    password=password,
                    now=now,
                    out=write,
                )
            small: list[Organization] = []
            if orgs:
                write(
                    f"Seeding {orgs:,} small organisations of {size:,} participants, "
                    f"{slugs[0]} to {slugs[-1]} (seed {seed}):"
                )
                small = small_organizations_seed(
                    slugs=slugs, size=size, seed=seed, password=password, now=now, out=write
                )
            if checks_off:
                t = time.perf_counter()
                ids = [o.pk for o in ([organization] if organization else []) + small]
                try:
                    keys = foreign_keys_check(organization_ids=ids)
                except DanglingForeignKey as exc:
                    raise CommandError(f"Nothing was written: {exc}") from exc
                write(f"  {'foreign keys':<22} {time.perf_counter() - t:6.1f} s   {keys} checked")
            t = time.perf_counter()
        # Unless checked above, table by table, PostgreSQL checks every new row's foreign keys
        # here (they are deferred): then most of the commit.
        write(f"  {'commit':<22} {time.perf_counter() - t:6.1f} s")
        if connection.vendor == "postgresql":
            # Fresh planner statistics: autovacuum would analyse the new rows only later, and
            # until then the planner guesses (the dashboards' joins ran 40 times slower).
            t = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            write(f"  {'analyse':<22} {time.perf_counter() - t:6.1f} s")
        self._report(organization, small, started=started, password=password)

    def _report(
        self,
        organization: Organization | None,
        small: list[Organization],
        *,
        started: float,
        password: str,
    ) -> None:
        """Rows per table of the large organisation and of the first small one; where to sign
        in, and as whom."""
        write = self.stdout.write
        shown = ([organization] if organization else []) + small[:1]
        for one in shown:
            write(
                f"Rows of {one.slug}:"
                if one is organization
                else f"Rows of {one.slug} (one of {len(small):,}):"
            )
            for table, count in table_counts(one).items():
                write(f"  {table:<34} {count:>10,}")
        seeded = ([organization] if organization else []) + small
        first, last = (reverse("org_home", args=[o.slug]) for o in (seeded[0], seeded[-1]))
        home = first if len(seeded) == 1 else f"{first} to {last}"
        write(self.style.SUCCESS(f"Done in {time.perf_counter() - started:.1f} s: {home}"))
        write(f"  password of every account: {password}")
        for one in shown:
            slug = one.slug
            write(
                f"  admin@{slug}.example (HR admin), sponsor@{slug}.example (sponsor of "
                f"every program), participant@{slug}.example (a junior with a live pair)"
            )
        if organization:
            write(f"  participant@{organization.slug}.example is in {PROGRAMS[0].name!r}")


def _check(*, org: str, participants: int, orgs: int, org_size: int | None) -> int:
    """Refuse options that cannot make sense; the size of each small organisation."""
    try:
        validate_slug(org)
    except ValidationError as exc:
        raise CommandError(error_text(exc)) from exc
    if orgs < 0:
        raise CommandError("--orgs must be 0 or more.")
    if org_size is not None and not orgs:
        raise CommandError("--org-size is the size of each small organisation: give --orgs too.")
    size = DEFAULT_ORG_SIZE if org_size is None else org_size
    if size < MIN_ORG_SIZE:
        raise CommandError(f"--org-size must be at least {MIN_ORG_SIZE}.")
    if participants < MIN_PARTICIPANTS and not (participants == 0 and orgs):
        raise CommandError(
            f"--participants must be at least {MIN_PARTICIPANTS} "
            "(or 0 with --orgs, for small organisations only)."
        )
    longest = small_slugs(org, orgs)[-1] if orgs else org
    if len(longest) > SLUG_LENGTH:
        raise CommandError(
            f"--org is too long: the slug '{longest}' has more than {SLUG_LENGTH} characters."
        )
    return size


def _existing(*, org: str, participants: int, orgs: int, replace: bool) -> list[Organization]:
    """The organisations this run would build that exist already: refused unless replaced."""
    old: list[Organization] = []
    if participants:
        existing = Organization.objects.filter(slug=org).first()
        if existing is not None and not replace:
            raise CommandError(
                f"An organisation with the slug '{org}' already exists. Pass another --org, "
                "or --replace to delete it and everything it owns, then seed it again."
            )
        old += [existing] if existing is not None else []
    if orgs:
        # All of the earlier set, even beyond this run's count: --replace replaces the set.
        earlier = list(Organization.objects.filter(slug__regex=rf"^{org}-small-[0-9]+$"))
        if earlier and not replace:
            raise CommandError(
                f"{len(earlier):,} small organisations '{org}-small-…' already exist. Pass "
                "another --org, or --replace to delete them and everything they own, then "
                "seed them again."
            )
        old += earlier
    return old


def _check_accounts(*, org: str, participants: int, orgs: int) -> None:
    """Seeded accounts are named after their organisation's slug: none may exist already."""
    if participants and User.objects.filter(email__iendswith=f"@{org}.example").exists():
        raise CommandError(
            f"Accounts under @{org}.example exist outside the organisation '{org}'. "
            "Choose another --org."
        )
    if orgs and User.objects.filter(email__iregex=rf"@{org}-small-[0-9]+\.example$").exists():
        raise CommandError(
            f"Accounts under @{org}-small-….example exist outside the small organisations. "
            "Choose another --org."
        )
