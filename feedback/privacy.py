"""The feedback part of a participant's personal data (see ``programs.privacy``): the concerns
they raised, their survey invitations and their answers to surveys by name; registered from
``apps.ready``.

Anonymous answers have no link to anyone (see ``feedback.models``): they can be neither
exported nor erased person by person. Invitations stay on erasure (response rates count them),
and so do answers by name, unlinked: counted, but linked to nobody.
"""

from __future__ import annotations

from typing import Any

from feedback.models import Answer, Concern, PendingResponse, Question, SurveyResponse
from mentorship.models import User
from programs.models import Participant
from programs.privacy import Audience, ErasureBlocker, Mentions, PersonalDataContributor, iso


def blockers(participant: Participant) -> list[ErasureBlocker]:
    """Nothing in feedback holds erasure up."""
    return []


# --- Export ---------------------------------------------------------------------------------------


def export(participant: Participant, user: User | None, audience: Audience) -> dict[str, Any]:
    """The same for both audiences: HR admins read concerns and answers by name anyway."""
    invitations, attributed = _surveys(participant)
    return {
        "concerns_raised": [
            {
                "kind": c.get_kind_display(),
                "text": c.text,
                "created_at": iso(c.created_at),
                "resolved_at": iso(c.resolved_at),
            }
            for c in Concern.objects.filter(participant=participant).order_by("created_at", "id")
        ],
        "survey_invitations": invitations,
        "survey_answers_by_name": attributed,
    }


def _surveys(p: Participant) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    # Whether they answered: for surveys by name only (answered by name anyway). For an
    # anonymous survey it is nobody's business but theirs: HR admins read this export, and
    # once the survey closes no record of it is kept (see cycles_dispatch).
    invitations = [
        {"survey": i.cycle.title, "anonymous": i.cycle.anonymous}
        | ({} if i.cycle.anonymous else {"answered": i.answered})
        for i in p.survey_invitations.select_related("cycle").order_by("cycle__opens_at", "id")
    ]
    attributed = []
    responses = (
        SurveyResponse.objects.filter(attributed_to=p)
        .select_related("cycle")
        .prefetch_related("answers__question")
        .order_by("submitted_on", "cycle__opens_at", "cycle_id")
    )
    for response in responses:
        answers = sorted(response.answers.all(), key=lambda a: (a.question.position, a.pk))
        attributed.append(
            {
                "survey": response.cycle.title,
                "submitted_on": iso(response.submitted_on),
                "answers": [
                    {
                        "question": a.question.text,
                        "answer": a.number if a.number is not None else (a.choices or a.text),
                    }
                    for a in answers
                ],
            }
        )
    return invitations, attributed


# --- Erasure --------------------------------------------------------------------------------------


def erase(participant: Participant, user: User | None) -> None:
    """Blank what the person wrote; keep the rows the figures count."""
    Concern.objects.filter(participant=participant).update(text="")
    # Answers by name become like anonymous ones: counted, linked to nobody, without free text
    # (text that names a choice, as one-choice questions store it, stays: it is counted).
    by_name = SurveyResponse.objects.filter(attributed_to=participant)
    Answer.objects.filter(response__in=by_name, question__kind=Question.Kind.TEXT).update(text="")
    by_name.update(attributed_to=None)


def rewrite_mentions(participant: Participant, user: User | None, mentions: Mentions) -> None:
    """Replace their address and name where others' rows of the program mention them: concerns,
    answers, and the anonymous answers of surveys still open (held as pending payloads)."""
    program = participant.program
    mentions.rewrite(Concern.objects.filter(participant__program=program), ["text"])
    mentions.rewrite(Answer.objects.filter(response__cycle__program=program), ["text"])
    mentions.rewrite_data(PendingResponse.objects.filter(cycle__program=program), "payload")


CONTRIBUTOR = PersonalDataContributor(
    name="feedback",
    blockers=blockers,
    export=export,
    erase=erase,
    rewrite_mentions=rewrite_mentions,
)
