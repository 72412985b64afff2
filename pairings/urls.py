"""URLs of the pairings app, included under /o/<org_slug>/."""

from django.urls import include, path

from pairings.views import matching, pairs, sessions

P = "programs/<slug:program_slug>/"

urlpatterns = [
    path(P + "matching/", matching.matching, name="matching"),
    path(P + "matching/run/", matching.matching_run, name="matching_run"),
    path(P + "matching/<int:run_id>/", matching.matching_edit, name="matching_edit"),
    path("pairs/", pairs.my_pairs, name="my_pairs"),
    path("pairs/<int:pairing_id>/", pairs.pair_detail, name="pair_detail"),
    path("pairs/<int:pairing_id>/action/", pairs.pair_action, name="pair_action"),
    path("pairs/<int:pairing_id>/exit/", pairs.pair_exit, name="pair_exit"),
    path("pairs/<int:pairing_id>/dissolve/", pairs.pair_dissolve, name="pair_dissolve"),
    path("pairs/<int:pairing_id>/sessions/", sessions.session_list, name="session_list"),
    path("pairs/<int:pairing_id>/sessions/new/", sessions.session_new, name="session_new"),
    path("", include("pairings.meeting_urls")),
]
