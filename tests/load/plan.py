"""Print, as JSON, who signs in during `make load` and which pages each of them visits.

Read from the seeded database (``seed_scale --org bench``) with the environment of the run, so
every page is one the person may see: the HR admin and the sponsor of the organisation, and
participants of live pairs, each with their own pair, program and open check-in.

``python -m tests.load.plan ORG COUNT`` (COUNT participants at most).
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mentorship.settings")

import django

django.setup()

from feedback.models import FeedbackCycle, SurveyInvitation  # noqa: E402
from mentorship.models import Organization  # noqa: E402
from mentorship.tenancy import tenant_scope  # noqa: E402
from pairings.models import Pairing  # noqa: E402
from programs.models import Program  # noqa: E402

Page = tuple[str, str]


def staff_pages(org: str, program: str, cycle: int | None, pairing: int) -> dict[str, list[Page]]:
    o, p = f"/o/{org}", f"/o/{org}/programs/{program}"
    results = [("survey results", f"{p}/feedback/{cycle}/")] if cycle else []
    return {
        "hr": [
            ("home", f"{o}/"),
            ("organisation dashboard", f"{o}/dashboard/"),
            ("program dashboard", f"{p}/dashboard/"),
            ("members", f"{o}/members/"),
            ("members, search", f"{o}/members/?role=participant&q=an"),
            ("programs", f"{o}/programs/"),
            ("program", f"{p}/"),
            ("participant directory", f"{p}/participants/"),
            ("surveys", f"{p}/feedback/"),
            *results,
            ("topics", f"{o}/topics/"),
            ("invitations", f"{o}/invitations/"),
            ("audit log", f"{o}/audit/"),
            ("notifications", f"{o}/notifications/"),
            ("pair page", f"{o}/pairs/{pairing}/"),
        ],
        "sponsor": [
            ("home", f"{o}/"),
            ("organisation dashboard", f"{o}/dashboard/"),
            ("program dashboard", f"{p}/dashboard/"),
            ("surveys", f"{p}/feedback/"),
            *results,
            ("notifications", f"{o}/notifications/"),
        ],
    }


def participant_pages(org: str, program: str, pairing: int, survey: int | None) -> list[Page]:
    o, pair = f"/o/{org}", f"/o/{org}/pairs/{pairing}"
    check_in = [("check-in survey", f"{o}/surveys/{survey}/")] if survey else []
    return [
        ("home", f"{o}/"),
        ("my pairs", f"{o}/pairs/"),
        ("pair page", f"{pair}/"),
        ("meetings", f"{pair}/meetings/"),
        ("session logs", f"{pair}/sessions/"),
        ("my participation", f"{o}/programs/{program}/me/"),
        ("training", f"{o}/programs/{program}/training/"),
        ("notifications", f"{o}/notifications/"),
        *check_in,
    ]


def plan(org_slug: str, count: int) -> dict[str, Any]:
    organization = Organization.objects.get(slug=org_slug)
    with tenant_scope(organization):
        pairs = list(
            Pairing.objects.filter(
                status=Pairing.Status.ACTIVE,
                program__status=Program.Status.ACTIVE,
                mentor__membership__removed_at__isnull=True,
                mentee__membership__removed_at__isnull=True,
            )
            .select_related("program", "mentor__membership__user", "mentee__membership__user")
            .order_by("pk")[:count]
        )
        first = pairs[0]
        cycle = (
            FeedbackCycle.objects.filter(program=first.program, status=FeedbackCycle.Status.CLOSED)
            .order_by("-opens_at")
            .values_list("pk", flat=True)
            .first()
        )
        open_surveys = dict(
            SurveyInvitation.objects.filter(
                cycle__status=FeedbackCycle.Status.OPEN,
                answered=False,
                participant__in=[p.mentor for p in pairs] + [p.mentee for p in pairs],
            ).values_list("participant_id", "pk")
        )
        participants = []
        for n, pairing in enumerate(pairs):
            # Juniors and seniors in turn, each from a different pair.
            person = pairing.mentor if n % 2 == 0 else pairing.mentee
            participants.append(
                {
                    "email": person.membership.user.email,
                    "pages": participant_pages(
                        org_slug, pairing.program.slug, pairing.pk, open_surveys.get(person.pk)
                    ),
                }
            )
    staff = staff_pages(org_slug, first.program.slug, cycle, first.pk)
    return {
        "hr": [{"email": f"admin@{org_slug}.example", "pages": staff["hr"]}],
        "sponsor": [{"email": f"sponsor@{org_slug}.example", "pages": staff["sponsor"]}],
        "participant": participants,
    }


if __name__ == "__main__":
    json.dump(plan(sys.argv[1], int(sys.argv[2])), sys.stdout, indent=1)
