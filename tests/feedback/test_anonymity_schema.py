"""Anonymous answers have no path back to a person, by the schema itself."""

from __future__ import annotations

import uuid

from django.db import models

from feedback.models import Answer, SurveyInvitation, SurveyResponse
from mentorship.models import Membership, User
from programs.models import Participant

PEOPLE = {User, Membership, Participant, SurveyInvitation}


def test_responses_and_answers_point_at_no_person() -> None:
    for model in (SurveyResponse, Answer):
        for field in model._meta.get_fields():
            if field.is_relation and field.related_model in PEOPLE:
                # The only exception: attributed surveys, set by the service for those alone.
                assert (model, field.name) == (SurveyResponse, "attributed_to"), field
                assert field.null


def test_invitations_know_only_that_their_person_answered() -> None:
    for field in SurveyInvitation._meta.get_fields():
        if field.is_relation and not field.auto_created:
            assert field.related_model is not SurveyResponse and field.related_model is not Answer
    assert isinstance(SurveyInvitation._meta.get_field("answered"), models.BooleanField)


def test_ids_are_random_and_time_is_a_day() -> None:
    for model in (SurveyResponse, Answer):
        pk = model._meta.pk
        assert isinstance(pk, models.UUIDField) and pk.default is uuid.uuid4
        for field in model._meta.get_fields():
            assert not isinstance(field, models.DateTimeField), field
    assert isinstance(SurveyResponse._meta.get_field("submitted_on"), models.DateField)
    assert not SurveyResponse._meta.ordering
