"""Root URLs. Everything an organisation owns lives under ``/o/<org_slug>/``."""

from django.contrib import admin
from django.urls import include, path

from mentorship import views
from mentorship.security import protect_operator_admin
from pairings.meeting_urls import global_urlpatterns as pairings_global_urlpatterns

# The operator admin signs in through allauth and needs a second factor.
protect_operator_admin(admin.site)

organization_patterns = [
    path("", views.org_home, name="org_home"),
    path("members/", views.members, name="members"),
    path("members/<int:membership_id>/", views.member_edit, name="member_edit"),
    path("members/<int:membership_id>/remove/", views.member_remove, name="member_remove"),
    path("invitations/", views.invitations, name="invitations"),
    path(
        "invitations/<int:invitation_id>/revoke/", views.invitation_revoke, name="invitation_revoke"
    ),
    path("notifications/", views.notifications, name="notifications"),
    path(
        "notifications/read-all/",
        views.notifications_mark_all_read,
        name="notifications_mark_all_read",
    ),
    path(
        "notifications/<int:notification_id>/open/",
        views.notification_open,
        name="notification_open",
    ),
    path("audit/", views.audit_log, name="audit_log"),
    path("settings/", views.organization_settings, name="organization_settings"),
    path("", include("mentorship.dashboards.urls")),
    path("", include("programs.urls")),
    path("", include("pairings.urls")),
    path("", include("feedback.urls")),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    # The person's own sign-ins, beside allauth's account pages (email, password, sessions).
    path("accounts/sign-ins/", views.sign_ins, name="sign_ins"),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("o/<slug:org_slug>/", include(organization_patterns)),
    # Calendar apps fetch the personal feed without a session: its secret token is the key.
    *pairings_global_urlpatterns,
]
