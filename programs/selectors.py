"""Reads of the programs app. They run inside the organisation's scope; object getters answer
404 for missing and foreign rows alike."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import Count, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404

from mentorship.models import Membership, Role
from programs.models import (
    ImportJob,
    LearningObjective,
    Participant,
    Program,
    ProgramSponsor,
    Side,
    Topic,
    TrainingCompletion,
    TrainingModule,
)


def programs_for_member(
    *, membership: Membership, include_archived: bool = False
) -> QuerySet[Program]:
    """HR admins see every program; sponsors those they sponsor; participants theirs and those
    open for applications."""
    qs = Program.objects.all()
    if not include_archived:
        qs = qs.filter(archived_at__isnull=True)
    if membership.has_role(Role.HR_ADMIN):
        return qs
    visible = Q(status=Program.Status.ENROLLING) | Q(
        pk__in=Participant.objects.filter(membership=membership)
        .exclude(status=Participant.Status.REMOVED)
        .values("program_id")
    )
    if membership.is_sponsor:
        visible |= Q(
            pk__in=ProgramSponsor.objects.filter(membership=membership).values("program_id")
        )
    return qs.filter(visible)


def program_get_for_member(*, membership: Membership, slug: str) -> Program:
    try:
        return programs_for_member(membership=membership, include_archived=True).get(slug=slug)
    except Program.DoesNotExist as exc:
        raise Http404("No such program") from exc


def sponsors_program(*, program: Program, membership: Membership) -> bool:
    return program.sponsors.filter(membership=membership).exists()


def program_counts(*, program: Program) -> dict[str, int]:
    """Headline numbers of a program, in one query."""
    return program.participants.aggregate(
        juniors=Count("pk", filter=Q(status=Participant.Status.APPROVED, side=Side.JUNIOR)),
        seniors=Count("pk", filter=Q(status=Participant.Status.APPROVED, side=Side.SENIOR)),
        applications=Count("pk", filter=Q(status=Participant.Status.APPLIED)),
        trained=Count("pk", filter=Q(status=Participant.Status.APPROVED, training_done=True)),
        matched=Count("pk", filter=Q(status=Participant.Status.APPROVED, matched=True)),
    )


def program_sponsors(*, program: Program) -> QuerySet[ProgramSponsor]:
    return program.sponsors.select_related("membership__user")


def sponsor_candidates(*, program: Program) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(is_sponsor=True, removed_at__isnull=True)
        .exclude(pk__in=program.sponsors.values("membership_id"))
        .select_related("user")
        .order_by("user__email")
    )


def topics_with_usage() -> QuerySet[Topic]:
    """Topics with how many offer, want and use them. One subquery per count: joining the three
    relations at once multiplies their rows (minutes at 20,000 participants)."""

    def uses(through: Any, field: str) -> Subquery:
        return Subquery(
            through.objects.filter(topic_id=OuterRef("pk"))
            .values("topic_id")
            .annotate(n=Count(field))
            .values("n")
        )

    return Topic.objects.annotate(
        offered=Coalesce(uses(Participant.offers.through, "participant_id"), 0),
        wanted=Coalesce(uses(Participant.wants.through, "participant_id"), 0),
        in_programs=Coalesce(uses(Program.topics.through, "program_id"), 0),
    ).order_by("name")


def topic_get(*, topic_id: int) -> Topic:
    try:
        return Topic.objects.get(pk=topic_id)
    except Topic.DoesNotExist as exc:
        raise Http404("No such topic") from exc


DIRECTORY_FILTERS = ("q", "side", "department", "status", "training", "matched")


def participant_directory(*, program: Program, filters: dict[str, Any]) -> QuerySet[Participant]:
    """The HR directory. Topics are prefetched: a page costs the same queries at any size."""
    qs = program.participants.prefetch_related(
        Prefetch("offers", queryset=Topic.objects.only("name")),
        Prefetch("wants", queryset=Topic.objects.only("name")),
    )
    if q := filters.get("q"):
        qs = qs.filter(
            Q(first_name__icontains=q)
            | Q(last_name__icontains=q)
            | Q(email__icontains=q)
            | Q(title__icontains=q)
        )
    if side := filters.get("side"):
        qs = qs.filter(side=side)
    if department := filters.get("department"):
        qs = qs.filter(department=department)
    if status := filters.get("status"):
        qs = qs.filter(status=status)
    if training := filters.get("training"):
        qs = qs.filter(training_done=training == "done")
    if matched := filters.get("matched"):
        qs = qs.filter(matched=matched == "yes")
    return qs.order_by("last_name", "first_name", "pk")


def program_departments(*, program: Program) -> list[str]:
    return list(
        program.participants.exclude(department="")
        .order_by("department")
        .values_list("department", flat=True)
        .distinct()
    )


def participant_get(*, program: Program, participant_id: int) -> Participant:
    try:
        return program.participants.select_related("membership__user").get(pk=participant_id)
    except Participant.DoesNotExist as exc:
        raise Http404("No such participant") from exc


def participant_of_member(*, program: Program, membership: Membership) -> Participant | None:
    """The viewer's row in the program (also after withdrawing or being declined, so they can
    see their history), or None."""
    return (
        program.participants.filter(membership=membership)
        .exclude(status=Participant.Status.REMOVED)
        .first()
    )


ACTIVE_PARTICIPANT_STATUSES = (Participant.Status.APPLIED, Participant.Status.APPROVED)


def live_participations(*, participant: Participant) -> list[Participant]:
    """The same member's other places they still take part in (applied or approved, in a
    program neither closed nor archived): what "use these hours in my other programs" changes
    too."""
    if participant.membership_id is None:
        return []
    return list(
        Participant.objects.filter(
            membership_id=participant.membership_id,
            status__in=ACTIVE_PARTICIPANT_STATUSES,
            program__archived_at__isnull=True,
        )
        .exclude(program__status=Program.Status.CLOSED)
        .exclude(pk=participant.pk)
        .select_related("program")
        .order_by("program__name")
    )


def objectives_of(*, participant: Participant) -> QuerySet[LearningObjective]:
    return participant.objectives.select_related("topic")


def objective_get(*, participant: Participant, objective_id: int) -> LearningObjective:
    try:
        return participant.objectives.select_related("topic").get(pk=objective_id)
    except LearningObjective.DoesNotExist as exc:
        raise Http404("No such objective") from exc


def modules_of(*, program: Program) -> QuerySet[TrainingModule]:
    return program.modules.all()


def module_get(*, program: Program, module_id: int) -> TrainingModule:
    try:
        return program.modules.get(pk=module_id)
    except TrainingModule.DoesNotExist as exc:
        raise Http404("No such module") from exc


def modules_with_completion(*, program: Program) -> QuerySet[TrainingModule]:
    """Each module with how many approved participants completed it."""
    return program.modules.annotate(
        completed=Count(
            "completions",
            filter=Q(completions__participant__status=Participant.Status.APPROVED),
        )
    )


def completed_module_ids(*, participant: Participant) -> set[int]:
    return set(
        TrainingCompletion.objects.filter(participant=participant).values_list(
            "module_id", flat=True
        )
    )


def import_job_get(*, program: Program, job_id: int) -> ImportJob:
    try:
        return program.imports.get(pk=job_id)
    except ImportJob.DoesNotExist as exc:
        raise Http404("No such import") from exc


def import_jobs_recent(*, program: Program) -> QuerySet[ImportJob]:
    return program.imports.all()[:5]


def import_job_to_run(*, job_id: int) -> ImportJob:
    """An import job for the task that runs it (inside its organisation's scope)."""
    return ImportJob.objects.select_related("program", "created_by").get(pk=job_id)


# --- The API -------------------------------------------------------------------------------------

# The largest primary key a database holds: a larger number is no id (and SQLite raises on it).
PK_MAX = 2**63 - 1
# What a participant's representation never shows, left unread: long texts (``availability``
# is the free-text note; the API shows ``weekly_availability``).
_UNSHOWN = ("bio", "availability")


def program_by_reference(*, reference: str) -> Program | None:
    """The program with this slug, or else with this id (a slug may be all digits)."""
    reference = reference.strip()
    if not reference or "\x00" in reference:
        return None
    program = Program.objects.filter(slug=reference).first()
    if program is None and reference.isdigit() and int(reference) <= PK_MAX:
        program = Program.objects.filter(pk=int(reference)).first()
    return program


def programs_for_api() -> QuerySet[Program]:
    """Every program of the organisation, archived ones included (they say so), with their
    topics: a page costs the same queries at any size."""
    return Program.objects.prefetch_related(Prefetch("topics", queryset=Topic.objects.only("name")))


def topics_for_api() -> QuerySet[Topic]:
    return Topic.objects.all()


def participants_for_api(
    *, program: Program | None = None, status: str = "", side: str = "", email: str = ""
) -> QuerySet[Participant]:
    """Participants of every program, or of ``program``, as the API shows them (with their
    program's slug). Their topics' names come from :func:`participants_topic_names`, once the
    rows to show are known."""
    qs = Participant.objects.annotate(program_slug=F("program__slug")).defer(*_UNSHOWN)
    if program is not None:
        qs = qs.filter(program=program)
    if status:
        qs = qs.filter(status=status)
    if side:
        qs = qs.filter(side=side)
    if email:
        qs = qs.filter(email=email.strip().lower())
    return qs


def participants_topic_names(participants: Sequence[Participant]) -> Sequence[Participant]:
    """Give each participant ``offer_names`` and ``want_names``, in two queries whatever their
    number (the serializer sorts them). Names, not topic rows: a model object per link made a
    page of 100 people several times slower than reading the names."""
    ids = [p.pk for p in participants]
    for attribute, through in (
        ("offer_names", Participant.offers.through),
        ("want_names", Participant.wants.through),
    ):
        names: dict[int, list[str]] = {pk: [] for pk in ids}
        if ids:
            links = through.objects.filter(participant_id__in=ids)
            for participant_id, name in links.values_list("participant_id", "topic__name"):
                names[participant_id].append(name)
        for participant in participants:
            setattr(participant, attribute, names[participant.pk])
    return participants
