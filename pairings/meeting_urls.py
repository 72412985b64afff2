"""URLs of meetings and calendar feeds.

``urlpatterns`` are included under /o/<org_slug>/ (see pairings/urls.py). ``global_urlpatterns``
hold the public feed a calendar app subscribes to: it cannot live under an organisation's URL
(calendar apps do not sign in), so the root URLconf includes it on its own.
"""

from django.urls import path

from pairings.views import meetings

M = "pairs/<int:pairing_id>/meetings/"

urlpatterns = [
    path(M, meetings.meeting_list, name="meeting_list"),
    path(M + "new/", meetings.meeting_new, name="meeting_new"),
    path(M + "<int:meeting_id>/edit/", meetings.meeting_edit, name="meeting_edit"),
    path(M + "<int:meeting_id>/cancel/", meetings.meeting_cancel, name="meeting_cancel"),
    path(M + "<int:meeting_id>/invite.ics", meetings.meeting_invite, name="meeting_invite"),
    path("calendar/", meetings.calendar_settings, name="calendar_settings"),
    path("calendar/revoke/", meetings.calendar_revoke, name="calendar_revoke"),
]

global_urlpatterns = [
    path("calendar/<str:token>.ics", meetings.calendar_feed, name="calendar_feed"),
]
