"""What the API shows of surveys (feedback cycles) and of their results, and what the survey
webhook events carry (the survey's representation: ``feedback.api`` lists it,
``feedback.services.webhooks`` emits it).

Results are a translation of ``feedback.results.cycle_results``, the very structure the results
page and its CSV render, into JSON: every figure the page shows, and in place of every figure
it withholds an object ``{"withheld": true, "reason": "…"}``. Never a free-text answer, never
a by-name answer: nothing here reads them (``show_names`` is off, and text is dropped).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from feedback import selectors
from feedback.disclosure import NOT_RELEASED
from feedback.models import FeedbackCycle, Question
from feedback.results import CLOSED_ONLY, CycleResults, QuestionResult
from programs.models import Side

ANSWERED_AFTER_CLOSING = (
    "Shown once the survey closes: a count rising as people answer would tell when each of "
    "them did."
)
ANSWERED_WITHHELD = (
    "Shown only when those who answered, and those who did not, are each none or at least "
    "{k} people: otherwise it would say what some of a few known people did."
)
TOPICS_UNLISTED = (
    "Topics rated by fewer than {k} people are not listed: even a topic's name would say "
    "that someone who chose it answered."
)


def withheld(reason: str) -> dict[str, Any]:
    return {"withheld": True, "reason": reason}


class WithheldSerializer(serializers.Serializer):
    """A figure the pages withhold: absent, with the reason."""

    withheld = serializers.BooleanField(help_text="Always true.")
    reason = serializers.CharField()


class CountFigureSerializer(serializers.Serializer):
    """A count, or the reason it is withheld."""

    withheld = serializers.BooleanField()
    count = serializers.IntegerField(
        required=False, min_value=0, help_text="Present unless withheld."
    )
    reason = serializers.CharField(required=False, help_text="Present when withheld.")


# --- Surveys -------------------------------------------------------------------------------------


class SurveyListSerializer(serializers.ListSerializer):
    def to_representation(self, data: Any) -> list[dict[str, Any]]:
        # The counts of the whole page in one query, not one per survey.
        cycles = list(data.all() if hasattr(data, "all") else data)
        self.context["counts"] = selectors.survey_counts(cycles=cycles, k=self.context["k"])
        return super().to_representation(cycles)


class SurveySerializer(serializers.ModelSerializer):
    """A survey: its program, template, audience, window and status, and how many were
    invited and answered (the latter shown once it closes, and only where the Surveys page shows
    it: where it says nothing of who answered)."""

    program = serializers.IntegerField(source="program_id", read_only=True)
    # Also what a chat message (Slack, Teams) of a webhook names the program by.
    program_name = serializers.CharField(source="program.name", read_only=True)
    template_name = serializers.CharField(source="version.template.name", read_only=True)
    closes_at = serializers.SerializerMethodField(
        help_text="When it closes (or closed): opening plus the days it stays open."
    )
    invited = serializers.SerializerMethodField()
    answered = serializers.SerializerMethodField()

    class Meta:
        model = FeedbackCycle
        list_serializer_class = SurveyListSerializer
        fields = [
            "id",
            "program",
            "program_name",
            "title",
            "template_name",
            "audience",
            "status",
            "anonymous",
            "on_demand",
            "repeat_weeks",
            "opens_at",
            "closes_at",
            "opened_at",
            "closed_at",
            "created_at",
            "updated_at",
            "invited",
            "answered",
        ]
        read_only_fields = fields

    def _counts(self, cycle: FeedbackCycle) -> selectors.SurveyCounts:
        counts = self.context.setdefault("counts", {})
        if cycle.pk not in counts:
            counts.update(selectors.survey_counts(cycles=[cycle], k=self.context["k"]))
        return counts[cycle.pk]

    @extend_schema_field(serializers.DateTimeField())
    def get_closes_at(self, cycle: FeedbackCycle) -> str:
        return serializers.DateTimeField().to_representation(selectors.closes_at(cycle))

    @extend_schema_field(serializers.IntegerField(min_value=0))
    def get_invited(self, cycle: FeedbackCycle) -> int:
        return self._counts(cycle).invited

    @extend_schema_field(CountFigureSerializer)
    def get_answered(self, cycle: FeedbackCycle) -> dict[str, Any]:
        counts = self._counts(cycle)
        if cycle.status != FeedbackCycle.Status.CLOSED:
            return withheld(ANSWERED_AFTER_CLOSING)
        if counts.answered is None:
            return withheld(ANSWERED_WITHHELD.format(k=counts.k))
        return {"withheld": False, "count": counts.answered}


def survey_data(*, cycle: FeedbackCycle, k: int) -> dict[str, Any]:
    """The API's representation of one survey (``cycle`` from ``selectors.surveys_for_api``)."""
    return dict(SurveySerializer(cycle, context={"k": k}).data)


# --- Results -------------------------------------------------------------------------------------


class ValueCountSerializer(serializers.Serializer):
    value = serializers.IntegerField()
    count = serializers.IntegerField(min_value=0)


class ChoiceCountSerializer(serializers.Serializer):
    choice = serializers.CharField()
    count = serializers.IntegerField(min_value=0)


class TopicResultSerializer(serializers.Serializer):
    """One topic of a self-rating question: its figures, or why they are withheld here."""

    topic = serializers.CharField()
    withheld = serializers.BooleanField()
    reason = serializers.CharField(required=False)
    count = serializers.IntegerField(required=False, min_value=0)
    average = serializers.FloatField(required=False)


class QuestionResultSerializer(serializers.Serializer):
    """One question: its figures by kind (scale and NPS: count, average, distribution, NPS;
    choices: count and each choice's count; self-ratings: topics), or why they are withheld.
    Free-text questions carry no figure: their answers never leave the results page."""

    id = serializers.IntegerField()
    position = serializers.IntegerField()
    text = serializers.CharField()
    kind = serializers.ChoiceField(choices=Question.Kind.choices)
    withheld = serializers.BooleanField()
    reason = serializers.CharField(required=False)
    count = serializers.IntegerField(required=False, min_value=0)
    average = serializers.FloatField(required=False)
    nps = serializers.FloatField(required=False)
    distribution = ValueCountSerializer(many=True, required=False)
    choices = ChoiceCountSerializer(many=True, required=False)
    topics = TopicResultSerializer(many=True, required=False)
    unlisted_topics = WithheldSerializer(required=False)


class DepartmentCountSerializer(serializers.Serializer):
    department = serializers.CharField(
        help_text="As the results page names it (“No department given” for those who gave "
        "none); pass it as the department filter."
    )
    respondents = serializers.IntegerField(min_value=0)


class ResultFiltersSerializer(serializers.Serializer):
    side = serializers.ChoiceField(choices=Side.choices, required=False)
    department = serializers.CharField(required=False, max_length=80)


class SurveyResultsSerializer(serializers.Serializer):
    """A survey's results as its results page shows them to HR admins, without free text or
    names. Withheld (with the reason) while the survey is open, when fewer than k people
    answered, or when the filter asked is not offered for this survey."""

    survey = serializers.IntegerField()
    status = serializers.ChoiceField(choices=FeedbackCycle.Status.choices)
    k = serializers.IntegerField(help_text="The anonymity threshold these results follow.")
    invited = serializers.IntegerField(min_value=0)
    answered = CountFigureSerializer()
    filters = ResultFiltersSerializer(help_text="The filters asked for.")
    withheld = serializers.BooleanField()
    reason = serializers.CharField(required=False)
    departments = DepartmentCountSerializer(
        many=True, required=False, help_text="Respondents of each department the survey releases."
    )
    other_departments = WithheldSerializer(
        required=False, help_text="Present when some departments' respondents are withheld."
    )
    questions = QuestionResultSerializer(many=True, required=False)


def _figure(average: float | None) -> float:
    return round(average or 0.0, 2)


def _question_data(item: QuestionResult, k: int) -> dict[str, Any]:
    question = item.question
    data: dict[str, Any] = {
        "id": question.pk,
        "position": question.position,
        "text": question.text,
        "kind": question.kind,
        "withheld": bool(item.withheld),
    }
    if item.withheld:
        data["reason"] = item.withheld
        return data
    if question.kind == Question.Kind.TEXT:
        # Not even a count: for surveys by name the page reads text by name, not in aggregate.
        return data
    data["count"] = item.count
    if item.summary is not None:
        if item.summary.average is not None:
            data["average"] = _figure(item.summary.average)
        if item.summary.nps is not None:
            data["nps"] = item.summary.nps
        data["distribution"] = [
            {"value": value, "count": n} for value, n in item.summary.distribution.items()
        ]
    if question.kind in (Question.Kind.SINGLE, Question.Kind.MULTIPLE):
        data["choices"] = [{"choice": choice, "count": n} for choice, n in item.choices]
    if question.kind == Question.Kind.OBJECTIVE_RATINGS:
        data["topics"] = [
            {"topic": topic, "withheld": False, "count": s.count, "average": _figure(s.average)}
            if s is not None
            else {"topic": topic, **withheld(NOT_RELEASED)}
            for topic, s in item.topics
        ]
        if item.topics_unlisted:
            data["unlisted_topics"] = withheld(TOPICS_UNLISTED.format(k=k))
    return data


def results_data(*, result: CycleResults, asked: dict[str, str]) -> dict[str, Any]:
    """The JSON of ``cycle_results(...)`` for the filters ``asked``: only what the page shows."""
    cycle = result.cycle
    data: dict[str, Any] = {
        "survey": cycle.pk,
        "status": cycle.status,
        "k": result.k,
        "invited": result.invited,
        "filters": {key: value for key, value in asked.items() if value},
    }
    if cycle.status != FeedbackCycle.Status.CLOSED:
        data["answered"] = withheld(ANSWERED_AFTER_CLOSING)
    elif result.answered is None:
        data["answered"] = withheld(ANSWERED_WITHHELD.format(k=result.k))
    else:
        data["answered"] = {"withheld": False, "count": result.answered}
    reason = result.withheld or (CLOSED_ONLY if cycle.status != FeedbackCycle.Status.CLOSED else "")
    if not reason and result.refused_filter:
        # The page shows everyone instead, under a message; a program could miss the message
        # and file everyone's figures as the group's, so the API shows nothing instead.
        reason = result.refused_filter
    data["withheld"] = bool(reason)
    if reason:
        data["reason"] = reason
        return SurveyResultsSerializer(data).data
    data["departments"] = [
        {"department": name, "respondents": n} for name, n in result.departments if n is not None
    ]
    other = [name for name, n in result.departments if n is None]
    if other:
        data["other_departments"] = withheld(other[0])
    data["questions"] = [_question_data(item, result.k) for item in result.questions]
    return SurveyResultsSerializer(data).data
