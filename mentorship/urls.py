"""URLs of the kernel: members, invitations, notifications, audit, settings (inside an
organisation), and the account, invitation and health pages outside one. The frame's root
URLconf (``mentorship.frame.urls``) mounts them beside the apps'."""

from django.urls import path

from mentorship.views import (
    accounts,
    audit,
    health,
    invitations,
    members,
    notifications,
    organization,
)

organization_patterns = [
    path("members/", members.members, name="members"),
    path("members/<int:membership_id>/", members.member_edit, name="member_edit"),
    path("members/<int:membership_id>/remove/", members.member_remove, name="member_remove"),
    path("invitations/", invitations.invitations, name="invitations"),
    path(
        "invitations/<int:invitation_id>/revoke/",
        invitations.invitation_revoke,
        name="invitation_revoke",
    ),
    path("notifications/", notifications.notifications, name="notifications"),
    path(
        "notifications/read-all/",
        notifications.notifications_mark_all_read,
        name="notifications_mark_all_read",
    ),
    path(
        "notifications/<int:notification_id>/open/",
        notifications.notification_open,
        name="notification_open",
    ),
    path("audit/", audit.audit_log, name="audit_log"),
    path("settings/", organization.organization_settings, name="organization_settings"),
]

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    # The person's own sign-ins, beside allauth's account pages (email, password, sessions).
    path("accounts/sign-ins/", accounts.sign_ins, name="sign_ins"),
    path("accounts/language/", accounts.language_set, name="language_set"),
    path("invitations/<str:token>/", invitations.invitation_accept, name="invitation_accept"),
]
