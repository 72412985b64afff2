"""URLs of the feedback app, included under /o/<org_slug>/."""

from django.urls import path

from feedback import views

urlpatterns = [
    path("surveys/<int:survey_id>/", views.survey_answer, name="survey_answer"),
]
