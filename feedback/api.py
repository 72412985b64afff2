"""This app's API resources: surveys (feedback cycles) and their results, read only; the frame's
router (``mentorship.frame.api``) mounts ``ROUTES`` under ``/api/v1/``.

Results come from ``feedback.results.cycle_results``, the function the results page and its CSV
use, under the survey's release plan: the k rule and the subtraction rules hold exactly as on
the page, and a figure the page withholds is absent here, with the reason. The side and
department filters are the page's, judged by the same plan: the API offers nothing finer. No
free-text answer, no answer by name, no concern ever leaves through it."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import translation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from feedback import results as feedback_results
from feedback import selectors
from feedback.models import FeedbackCycle
from feedback.serializers import (
    ResultFiltersSerializer,
    SurveyResultsSerializer,
    SurveySerializer,
    results_data,
)
from mentorship.api.base import OrganizationAPIMixin, error_responses
from programs.models import Side

MAX_ID = 2**63 - 1


SURVEY_ID = OpenApiParameter(
    "id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The survey's id."
)


class SurveyFilters(serializers.Serializer):
    program = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    status = serializers.ChoiceField(choices=FeedbackCycle.Status.choices, required=False)


class ResultFilters(ResultFiltersSerializer):
    department = serializers.CharField(required=False, max_length=80, allow_blank=True)


@extend_schema_view(
    list=extend_schema(
        summary="List surveys",
        description="Every survey (feedback cycle) of the organisation, oldest first: its "
        "program, template, audience, window, status and counts. How many answered is shown "
        "once a survey closes, and only where the Surveys page shows it. Page with the cursor; "
        "filter by program and status.",
        parameters=[
            OpenApiParameter(
                "program", OpenApiTypes.INT64, description="Only the surveys of this program."
            ),
            OpenApiParameter(
                "status",
                OpenApiTypes.STR,
                enum=FeedbackCycle.Status.values,
                description="Only surveys in this status.",
            ),
        ],
        responses={200: SurveySerializer, **error_responses(400, 404)},
    ),
    retrieve=extend_schema(
        summary="A survey",
        parameters=[SURVEY_ID],
        responses={200: SurveySerializer, **error_responses(404)},
    ),
)
class SurveyViewSet(OrganizationAPIMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = SurveySerializer

    def get_queryset(self) -> QuerySet[FeedbackCycle]:
        if self.action == "results":
            return selectors.surveys_with_plans()
        surveys = selectors.surveys_for_api()
        if self.action != "list":
            return surveys
        checked = SurveyFilters(data=self.request.query_params)
        checked.is_valid(raise_exception=True)
        filters = checked.validated_data
        if "program" in filters:
            surveys = surveys.filter(program_id=filters["program"])
        if "status" in filters:
            surveys = surveys.filter(status=filters["status"])
        return surveys

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        if getattr(self.request, "auth", None) is not None:
            context["k"] = self.organization.anonymity_threshold
        return context

    @extend_schema(
        summary="A survey's results",
        description="Aggregates only, as the survey's results page shows them to HR admins "
        "(never free text, never names): every figure drawn from the survey's release plan, so "
        "no group of fewer than k people can be told apart, alone or by subtracting figures. "
        "A withheld figure is absent and replaced by {withheld: true, reason}. Filter by side "
        "and department as on the page: a filter the survey does not offer answers with the "
        "results withheld and the reason.",
        parameters=[
            SURVEY_ID,
            OpenApiParameter(
                "side", OpenApiTypes.STR, enum=Side.values, description="Only this side."
            ),
            OpenApiParameter(
                "department",
                OpenApiTypes.STR,
                description="Only this department, named as in the results' departments.",
            ),
        ],
        responses={200: SurveyResultsSerializer, **error_responses(400, 404)},
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def results(self, request: Request, pk: str | None = None) -> Response:
        cycle = self.get_object()
        asked = ResultFilters(data=request.query_params)
        asked.is_valid(raise_exception=True)
        filters = {key: asked.validated_data.get(key, "") for key in ("side", "department")}
        # The API's texts (reasons, "No department given") stay English: a machine interface.
        with translation.override(None):
            result = feedback_results.cycle_results(
                cycle=cycle,
                k=self.organization.anonymity_threshold,
                filters=filters,
                # Answers by name are for HR admins on the page, person by person: never here.
                show_names=False,
            )
            data = results_data(result=result, asked=filters)
        return Response(data)


ROUTES: list[tuple[str, Any, str]] = [
    ("surveys", SurveyViewSet, "api-survey"),
]
