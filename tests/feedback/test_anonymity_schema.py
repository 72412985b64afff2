"""Anonymous answers have no path back to a person, by the schema itself."""

from __future__ import annotations

import uuid

from django.db import models

from feedback.models import (
    Answer,
    PendingResponse,
    SurveyInvitation,
    SurveyResponse,
    TopicRating,
)
from mentorship.models import Membership, User
from programs.models import Participant

PEOPLE = {User, Membership, Participant, SurveyInvitation}


def test_responses_and_answers_point_at_no_person() -> None:
    for model in (SurveyResponse, Answer, PendingResponse, TopicRating):
        for field in model._meta.get_fields():
            if field.is_relation and field.related_model in PEOPLE:
                # The only exception: attributed surveys, set by the service for those alone.
                assert (model, field.name) == (SurveyResponse, "attributed_to"), field
                assert field.null


def test_topic_ratings_stand_apart_from_responses() -> None:
    """A person's set of topics could single out their response: ratings are not tied to it."""
    for field in TopicRating._meta.get_fields():
        if field.is_relation:
            assert field.related_model not in (SurveyResponse, Answer, PendingResponse), field


def test_invitations_know_only_that_their_person_answered() -> None:
    for field in SurveyInvitation._meta.get_fields():
        if field.is_relation and not field.auto_created:
            assert field.related_model is not SurveyResponse and field.related_model is not Answer
    assert isinstance(SurveyInvitation._meta.get_field("answered"), models.BooleanField)


def test_ids_are_random_and_time_is_a_day() -> None:
    for model in (SurveyResponse, Answer, PendingResponse, TopicRating):
        pk = model._meta.pk
        assert isinstance(pk, models.UUIDField) and pk.default is uuid.uuid4
        for field in model._meta.get_fields():
            assert not isinstance(field, models.DateTimeField), field
    assert isinstance(SurveyResponse._meta.get_field("submitted_on"), models.DateField)
    assert not SurveyResponse._meta.ordering


def test_closing_writes_anonymous_answers_in_random_order_on_one_day(alpha, db) -> None:
    """Rows written at closing, shuffled and all dated that day: their order says nothing of
    who answered when."""
    import random as stdlib_random

    from django.utils import timezone

    from feedback.models import FeedbackCycle
    from feedback.services import responses as response_services
    from tests.feedback.test_results import make_cycle

    with alpha.scope():
        cycle = make_cycle(alpha)
        FeedbackCycle.objects.filter(pk=cycle.pk).update(status="open")
        for n in range(30):
            PendingResponse.objects.create(
                organization=alpha.organization, cycle=cycle, side="junior", department=f"D{n:02d}"
            )
        stdlib_random.seed(1)
        response_services.materialize_pending(cycle=cycle)
        order = list(SurveyResponse.objects.order_by("pk").values_list("department", flat=True))
        # Default database order (insertion) too: it must not be the order of submission.
        inserted = list(SurveyResponse.objects.values_list("department", flat=True))
        assert sorted(order) == [f"D{n:02d}" for n in range(30)]
        assert inserted != [f"D{n:02d}" for n in range(30)]
        assert set(SurveyResponse.objects.values_list("submitted_on", flat=True)) == {
            timezone.localdate()
        }
        assert not PendingResponse.objects.exists()
