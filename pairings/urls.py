"""URLs of the pairings app, included under /o/<org_slug>/."""

from django.urls import include, path

from pairings.views import matching

P = "programs/<slug:program_slug>/"

urlpatterns = [
    path(P + "matching/", matching.matching, name="matching"),
    path(P + "matching/run/", matching.matching_run, name="matching_run"),
    path(P + "matching/<int:run_id>/", matching.matching_edit, name="matching_edit"),
    path("", include("pairings.meeting_urls")),
]
