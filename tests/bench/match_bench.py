"""Matching at scale: 2,000 juniors × 2,000 seniors through `manage.py match --json`.

Prints the solver time (scipy's assignment alone) and the end-to-end time of the command
(loading people, scoring, solving, the greedy baseline, JSON). Expects a test database to be
set up (tests/bench/run.py does it).
"""

from __future__ import annotations

import json
import random
import time
from io import StringIO

from django.core.management import call_command

from mentorship.models import Organization
from mentorship.tenancy import tenant_scope
from programs.availability import parse_legacy
from programs.models import Participant, Program, Topic

ZONES = ["Europe/London", "Europe/Paris", "America/New_York", "Asia/Tokyo", "UTC"]
AVAILABILITY = ["Tue/Thu mornings", "Wed afternoons", "weekdays", "", "Mon evening"]


def build(per_side: int, seed: int = 1) -> tuple[str, str]:
    rnd = random.Random(seed)
    organization = Organization.objects.create(slug=f"match-bench-{per_side}", name="Bench")
    with tenant_scope(organization):
        program = Program.objects.create(
            organization=organization,
            slug="bench",
            name="Bench",
            status=Program.Status.MATCHING,
            exclude_same_department=True,
        )
        topics = Topic.objects.bulk_create(
            Topic(organization=organization, name=f"Topic {i}") for i in range(20)
        )
        people = []
        for side in ("junior", "senior"):
            for n in range(per_side):
                people.append(
                    Participant(
                        organization=organization,
                        program=program,
                        email=f"{side}{n}@bench.example",
                        first_name=side,
                        last_name=str(n),
                        side=side,
                        level=rnd.randint(1, 4) if side == "junior" else rnd.randint(4, 10),
                        department=f"Dept {rnd.randint(0, 19)}",
                        manager_email=(
                            f"senior{rnd.randint(0, per_side - 1)}@bench.example"
                            if rnd.random() < 0.3
                            else ""
                        ),
                        timezone=rnd.choice(ZONES),
                        weekly_availability=parse_legacy(rnd.choice(AVAILABILITY)) or [],
                    )
                )
        Participant.objects.bulk_create(people, batch_size=500)
        offers, wants = Participant.offers.through, Participant.wants.through
        offers.objects.bulk_create(
            (
                offers(participant_id=p.pk, topic_id=t.pk)
                for p in people
                for t in rnd.sample(topics, 3)
            ),
            batch_size=2000,
        )
        wants.objects.bulk_create(
            (
                wants(participant_id=p.pk, topic_id=t.pk)
                for p in people
                for t in rnd.sample(topics, 2)
            ),
            batch_size=2000,
        )
    return organization.slug, program.slug


def run_match_bench(per_side: int = 2000) -> dict[str, float | int]:
    org, program = build(per_side)
    out = StringIO()
    started = time.perf_counter()
    call_command("match", "--org", org, "--program", program, "--json", stdout=out)
    elapsed = time.perf_counter() - started
    data = json.loads(out.getvalue())
    return {
        "per_side": per_side,
        "pairs": len(data["pairs"]),
        "unmatched": len(data["unmatched"]),
        "solver_s": data["solver_seconds"],
        "end_to_end_s": round(elapsed, 2),
        "total": data["total_score"],
        "greedy": data["greedy_total_score"],
    }


def print_table(r: dict[str, float | int]) -> None:
    print(f"Matching ({r['per_side']} juniors × {r['per_side']} seniors, manage.py match --json)")
    header = ("pairs", 7), ("unmatched", 11), ("solver s", 10), ("end-to-end s", 14)
    print("".join(f"{name:>{width}}" for name, width in header) + f"{'total':>11}{'greedy':>11}")
    print(
        f"{r['pairs']:>7}{r['unmatched']:>11}{r['solver_s']:>10}{r['end_to_end_s']:>14}"
        f"{r['total']:>11}{r['greedy']:>11}"
    )
