"""``manage.py beat_tick [--org SLUG] [--dry-run]``: every beat dispatcher once, in this process.

Prints, per dispatcher, the items due, the organisations they belong to, how many messages went
out, and the seconds and database queries it took. ``--dry-run`` only asks what is due and sends
nothing; ``--org`` limits the tick to one organisation. See ``mentorship.frame.ticks``.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from mentorship.frame.ticks import tick
from mentorship.models import Organization


class Command(BaseCommand):
    help = (
        "Run every beat dispatcher once, in this process, and print per dispatcher: items due, "
        "sent, seconds, queries. For checking a stuck queue, and for benchmarks."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", metavar="SLUG", help="Only this organisation.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Only count what is due; send nothing."
        )

    def handle(self, *args: Any, org: str | None, dry_run: bool, **options: Any) -> None:
        organization = None
        if org is not None:
            organization = Organization.objects.filter(slug=org).first()
            if organization is None:
                raise CommandError(f"No organisation has the slug '{org}'.")
        rows = tick(now=timezone.now(), organization=organization, dry_run=dry_run)
        write = self.stdout.write
        scope = f"organisation '{org}'" if org else "all organisations"
        write(f"Beat tick of {scope}{' (dry run: nothing sent)' if dry_run else ''}:")
        write(f"{'dispatcher':<36}{'due':>8}{'orgs':>7}{'sent':>8}{'seconds':>10}{'queries':>9}")
        for row in rows:
            write(
                f"{row.name:<36}{row.due:>8}{row.organizations:>7}{row.sent:>8}"
                f"{row.seconds:>10.3f}{row.queries:>9}"
            )
        write(
            f"{'total':<36}{sum(r.due for r in rows):>8}{'':>7}{sum(r.sent for r in rows):>8}"
            f"{sum(r.seconds for r in rows):>10.3f}{sum(r.queries for r in rows):>9}"
        )
