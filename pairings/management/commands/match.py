"""Dry-run the matching engine for a program and print the proposal."""

from __future__ import annotations

import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from mentorship.models import Organization
from mentorship.tenancy import tenant_scope
from pairings.match_computation import run_matching
from programs.models import Program


class Command(BaseCommand):
    help = "Propose pairs for a program with the matching engine (a dry run: nothing is saved)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True, help="Organisation slug")
        parser.add_argument("--program", required=True, help="Program slug")
        parser.add_argument("--json", action="store_true", help="Print JSON")

    def handle(self, *args: Any, org: str, program: str, json: bool, **options: Any) -> None:
        started = time.perf_counter()
        organization = Organization.objects.filter(slug=org).first()
        if organization is None:
            raise CommandError(f"No organisation with the slug '{org}'.")
        with tenant_scope(organization):
            target = Program.objects.filter(slug=program).first()
            if target is None:
                raise CommandError(f"No program with the slug '{program}' in {organization.name}.")
            result = run_matching(program=target)
        output = {
            "total_score": round(result.total_score, 3),
            "greedy_total_score": round(result.greedy_total_score, 3),
            "solver_seconds": round(result.solver_seconds, 4),
            "pairs": [
                {
                    "mentor": p.junior_email,
                    "mentee": p.senior_email,
                    "score": p.score,
                    "reasons": p.reasons,
                }
                for p in result.pairs
            ],
            "unmatched": [{"email": u.email, "reason": u.reason} for u in result.unmatched],
        }
        if json:
            self.stdout.write(_dumps(output))
            return
        self.stdout.write(
            f"{len(result.pairs)} pairs, total score {output['total_score']} "
            f"(greedy {output['greedy_total_score']}), solver {output['solver_seconds']} s, "
            f"{time.perf_counter() - started:.2f} s in all"
        )
        for p in output["pairs"]:
            self.stdout.write(f"  {p['mentor']} → {p['mentee']}  {p['score']}")
        for u in output["unmatched"]:
            self.stdout.write(f"  unmatched {u['email']}: {u['reason']}")


def _dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)
