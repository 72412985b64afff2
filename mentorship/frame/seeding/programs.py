"""The programs of the seed: the topics, and each program of the organisation's shape (see
``shapes``) made from the built-in template with seven of the topics and the sponsor."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.text import slugify

from mentorship.frame.seeding.context import Context
from mentorship.frame.seeding.shapes import CLOSED
from mentorship.models import Membership
from programs.models import TrainingModule
from programs.services.configs import program_create_from_template
from programs.services.sponsors import program_sponsor_add
from programs.services.topics import topics_get_or_create

TOPICS = [
    "Social media",
    "AI tools",
    "Collaboration tools",
    "Data literacy",
    "Generational perspectives",
    "Personal branding online",
    "Cybersecurity habits",
    "Remote leadership",
    "Video storytelling",
    "Low-code automation",
    "Online communities",
    "Digital wellbeing",
    "Inclusive language",
    "Gaming culture",
]


@dataclass(frozen=True)
class Programs:
    """The programs made, by their position in the shape's table."""

    ids: list[int]
    topics: list[list[str]]  # the names of each program's topics
    # each program's training modules: (id, required for juniors, required for seniors)
    modules: list[list[tuple[int, bool, bool]]]
    topic_ids: dict[str, int]  # every topic's id by name
    offsets: list[list[int]]  # each program's reminder offsets, in hours before a meeting


def programs_create(ctx: Context, *, sponsor: Membership) -> Programs:
    """The topics and the programs of the shape (with their training modules), each with
    seven topics drawn at random and ``sponsor`` as its sponsor."""
    topics = topics_get_or_create(organization=ctx.organization, names=TOPICS)
    made = Programs(
        ids=[], topics=[], modules=[], topic_ids={t.name: t.pk for t in topics}, offsets=[]
    )
    for spec in ctx.programs:
        program = program_create_from_template(
            organization=ctx.organization, template="digital-fluency", name=spec.name
        )
        program.slug = slugify(spec.name)
        program.status = spec.status
        program.start_date, program.end_date = ctx.day(spec.start), ctx.day(spec.end)
        program.created_at = ctx.at(spec.start - 60, 10)
        if spec.status == CLOSED:
            program.closed_at = ctx.at(spec.end, 16)
        program.save()
        chosen = sorted(ctx.rng.sample(TOPICS, 7))
        program.topics.set([made.topic_ids[name] for name in chosen])
        program_sponsor_add(program=program, membership=sponsor)
        made.ids.append(program.pk)
        made.topics.append(chosen)
        made.offsets.append(list(program.reminder_offsets_hours or []))
        made.modules.append(
            list(
                TrainingModule.objects.filter(program=program)
                .order_by("position")
                .values_list("pk", "required_for_juniors", "required_for_seniors")
            )
        )
    return made
