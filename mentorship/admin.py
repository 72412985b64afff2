"""The operator admin. It runs across organisations (the middleware disables scoping under
/admin/); organisation users never need it."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest

from mentorship.models import (
    AuditEvent,
    Invitation,
    Membership,
    Notification,
    Organization,
    SignIn,
    User,
)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_staff", "is_active"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name")}),
        (
            "Permissions",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "mfa_required", "anonymity_threshold", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = [
        "user",
        "organization",
        "is_hr_admin",
        "is_sponsor",
        "is_participant",
        "removed_at",
    ]
    list_filter = ["organization", "is_hr_admin", "is_sponsor", "is_participant"]
    search_fields = ["user__email"]
    raw_id_fields = ["user"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "organization", "role", "created_at", "accepted_at", "revoked_at"]
    list_filter = ["organization", "role"]
    exclude = ["token_hash"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["subject", "recipient", "organization", "created_at", "read_at", "emailed_at"]
    list_filter = ["organization"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "organization", "action", "summary", "actor"]
    list_filter = ["organization", "action"]


@admin.register(SignIn)
class SignInAdmin(admin.ModelAdmin):
    """Read-only: a record of what happened. (Deleting stays allowed, or a user could not be
    deleted with their sign-ins.)"""

    list_display = ["at", "user", "succeeded", "method", "ip_address"]
    list_filter = ["succeeded", "method"]
    search_fields = ["user__email", "ip_address"]
    raw_id_fields = ["user"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: SignIn | None = None) -> bool:
        return False
