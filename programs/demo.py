"""Demo content of the programs app, added by ``seed_demo`` (idempotent)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from mentorship.models import Membership, Organization
from programs import availability
from programs.models import (
    LearningObjective,
    Participant,
    Program,
    ProgramSponsor,
    Side,
    TrainingCompletion,
)
from programs.services import configs as config_services
from programs.services import participants as participant_services
from programs.services import topics as topic_services
from programs.services import training as training_services

DEMO_SLUG = "digital-fluency"
DEPARTMENTS = ["Marketing", "Engineering", "Sales", "Finance"]
# Seniors' levels and managers make every matching rule matter: senior1 manages junior1
# (direct reporting line), senior2 manages senior1 (so junior1 is in senior2's line too),
# senior8 is only one level above junior8 (below the minimum gap).
JUNIOR_LEVELS = [2, 1, 3, 2, 1, 2, 3, 4]
SENIOR_LEVELS = [7, 9, 8, 6, 8, 7, 9, 5]
JUNIOR_OFFERS = [
    ["Social media", "AI tools"],
    ["Collaboration tools", "Data literacy"],
    ["AI tools", "Personal branding online"],
    ["Generational perspectives", "Social media"],
    ["Data literacy", "Cybersecurity habits"],
    ["AI tools", "Collaboration tools"],
    ["Personal branding online", "Social media"],
    ["Cybersecurity habits", "Generational perspectives"],
]
SENIOR_WANTS = [
    ["AI tools"],
    ["Social media", "Personal branding online"],
    ["Data literacy"],
    ["Collaboration tools", "AI tools"],
    ["Generational perspectives"],
    ["Cybersecurity habits", "Social media"],
    ["Personal branding online"],
    ["Data literacy", "AI tools"],
]
SENIOR_OFFERS = [
    ["Generational perspectives"],
    ["Data literacy"],
    [],
    ["Social media"],
    [],
    [],
    [],
    [],
]

MORNINGS = ("09:00", "12:00")


def demo_week(n: int) -> list[list[object]]:
    """Person ``n``'s weekly hours in their own zone (odd numbers live in London, even ones in
    New York). Every weekday morning is common to people of one zone, so each pilot pair
    (partners of one zone) finds times in "Find a time"; the afternoons differ so that
    matching's overlap score tells people apart, and New York's mornings meet London's
    afternoons for cross-zone pairs."""
    week: list[list[object]] = [[day, *MORNINGS] for day in range(5)]
    if n % 2:
        extra = (1, 3) if n % 4 == 1 else (0, 2)
        week += [[day, "14:00", "16:00" if n % 4 == 1 else "17:00"] for day in extra]
    else:
        week += [[day, "13:00", "15:00"] for day in ((1, 3) if n % 4 == 0 else (0, 4))]
    return availability.normalise(week)


def seed_demo_program(*, organization: Organization) -> Program:
    """The demo program: created from the template once, in the matching state, with the demo
    juniors and seniors enrolled, objectives set and training mostly done."""
    slug = organization.slug
    program = Program.objects.filter(slug=DEMO_SLUG).first()
    if program is not None:
        return program
    program = config_services.program_create_from_template(
        organization=organization, template="digital-fluency"
    )
    today = timezone.localdate()
    program.slug = DEMO_SLUG
    program.status = Program.Status.MATCHING
    program.training_required = False
    program.start_date = today + timedelta(days=7)
    program.end_date = today + timedelta(days=7 + 26 * 7)
    program.save()

    memberships = {
        m.user.email: m for m in Membership.objects.select_related("user").filter(removed_at=None)
    }
    sponsor = memberships.get(f"sponsor@{slug}.example")
    if sponsor is not None:
        ProgramSponsor.objects.create(
            organization=organization, program=program, membership=sponsor
        )

    people: list[Participant] = []
    for n in range(1, 9):
        for side in (Side.JUNIOR, Side.SENIOR):
            email = f"{side.value}{n}@{slug}.example"
            junior = side == Side.JUNIOR
            manager = ""
            if junior and n == 1:
                manager = f"senior1@{slug}.example"
            elif not junior and n == 1:
                manager = f"senior2@{slug}.example"
            elif not junior:
                manager = "ceo@" + f"{slug}.example"
            participant = participant_services.participant_add(
                program=program,
                email=email,
                invited_by=None,
                offers=topic_services.topics_get_or_create(
                    organization=organization,
                    names=JUNIOR_OFFERS[n - 1] if junior else SENIOR_OFFERS[n - 1],
                ),
                wants=topic_services.topics_get_or_create(
                    organization=organization,
                    names=["Generational perspectives"] if junior else SENIOR_WANTS[n - 1],
                ),
                first_name=side.value.capitalize(),
                last_name=str(n),
                side=side,
                # Juniors and seniors of the same number share a department: the rule
                # "never within a department" removes those pairs.
                department=DEPARTMENTS[(n - 1) % len(DEPARTMENTS)],
                title="Associate" if junior else "Director",
                level=(JUNIOR_LEVELS if junior else SENIOR_LEVELS)[n - 1],
                manager_email=manager,
                timezone="Europe/London" if n % 2 else "America/New_York",
                weekly_availability=demo_week(n),
                availability="Not in August" if n == 2 else "",
                bio="",
            )
            people.append(participant)
            # Learning runs both ways: juniors set objectives too.
            objectives_for(
                participant,
                SENIOR_WANTS[n - 1] if not junior else ["Generational perspectives"],
            )

    # Training done by most: everyone but junior7, junior8 and senior8.
    untrained = {f"junior7@{slug}.example", f"junior8@{slug}.example", f"senior8@{slug}.example"}
    modules = list(program.modules.all())
    TrainingCompletion.objects.bulk_create(
        TrainingCompletion(organization=organization, module=m, participant=p)
        for p in people
        if p.email not in untrained
        for m in modules
        if (m.required_for_juniors if p.side == Side.JUNIOR else m.required_for_seniors)
    )
    training_services.refresh_training_done(program=program)
    return program


def objectives_for(participant: Participant, topic_names: list[str]) -> None:
    for topic in topic_services.topics_get_or_create(
        organization=participant.organization, names=topic_names
    ):
        LearningObjective.objects.create(
            organization=participant.organization,
            participant=participant,
            topic=topic,
            success_criteria=f"Use {topic.name} confidently in my own work",
            baseline_rating=2,
            target_date=participant.program.end_date,
        )
