"""URLs of the pairings app.

``urlpatterns`` are included under /o/<org_slug>/. ``global_urlpatterns`` hold the public
calendar feed a calendar app subscribes to: it cannot live under an organisation's URL (calendar
apps do not sign in), so the root URLconf includes it on its own.
"""

from django.urls import path

from pairings.views import (
    freebusy,
    matching,
    meeting_page,
    meetings,
    pairs,
    proposals,
    quiet,
    sessions,
)

P = "programs/<slug:program_slug>/"
M = "pairs/<int:pairing_id>/meetings/"

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
    path(M, meetings.meeting_list, name="meeting_list"),
    path(M + "new/", meetings.meeting_new, name="meeting_new"),
    path(M + "<int:meeting_id>/", meeting_page.meeting_detail, name="meeting_detail"),
    path(M + "<int:meeting_id>/edit/", meetings.meeting_edit, name="meeting_edit"),
    path(M + "<int:meeting_id>/cancel/", meetings.meeting_cancel, name="meeting_cancel"),
    path(M + "<int:meeting_id>/invite.ics", meetings.meeting_invite, name="meeting_invite"),
    path("calendar/", meetings.calendar_settings, name="calendar_settings"),
    path("calendar/revoke/", meetings.calendar_revoke, name="calendar_revoke"),
    path("calendar/busy/", freebusy.busy_calendar, name="busy_calendar"),
    path("calendar/busy/remove/", freebusy.busy_calendar_remove, name="busy_calendar_remove"),
    path("pairs/<int:pairing_id>/find-a-time/", proposals.find_time, name="find_time"),
    path("pairs/<int:pairing_id>/proposals/new/", proposals.proposal_new, name="proposal_new"),
    path(
        "pairs/<int:pairing_id>/proposals/<int:proposal_id>/",
        proposals.proposal_detail,
        name="proposal_detail",
    ),
    path("pairs/<int:pairing_id>/keep/", quiet.pair_keep, name="pair_keep"),
]

global_urlpatterns = [
    path("calendar/<str:token>.ics", meetings.calendar_feed, name="calendar_feed"),
    # A proposed time's signed, single-use link from the email: it works without signing in.
    path("proposals/<str:token>/", proposals.proposal_link, name="proposal_link"),
]
