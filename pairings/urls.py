"""URLs of the pairings app, included under /o/<org_slug>/."""

from django.urls import include, path

urlpatterns = [
    path("", include("pairings.meeting_urls")),
]
