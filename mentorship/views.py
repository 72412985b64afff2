"""Views of the kernel and the frame: home, organisation home, members, invitations,
notifications, audit log, health. Each is small: a role check, a form, one service or selector
call, a render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mentorship import selectors, services
from mentorship.celery import app as celery_app
from mentorship.dashboards import home as home_pages
from mentorship.forms import (
    AuditFilterForm,
    InvitationForm,
    MemberFilterForm,
    MemberRolesForm,
    OrganizationSettingsForm,
)
from mentorship.models import Role
from mentorship.tenancy import member_required, role_required
from mentorship.web import paginate, posted, querystring_without_page, render_page_or_partial

PENDING_INVITATION_SESSION_KEY = "pending_invitation_token"


def _org_redirect(request: HttpRequest, name: str, **kwargs: object) -> HttpResponse:
    return redirect(name, org_slug=request.organization.slug, **kwargs)


# --- Frame ---------------------------------------------------------------------------------------


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Send a signed-in user to their organisation, or let them choose among several."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    token = request.session.pop(PENDING_INVITATION_SESSION_KEY, None)
    if token:
        return redirect("invitation_accept", token=token)
    memberships = selectors.memberships_of_user_across_organizations(user=request.user)
    if len(memberships) == 1:
        return redirect("org_home", org_slug=memberships[0].organization.slug)
    return render(request, "mentorship/choose_organization.html", {"memberships": memberships})


@require_GET
@member_required
def org_home(request: HttpRequest, org_slug: str) -> HttpResponse:
    """A home per role: a participant's pairs and next steps, an HR admin's "what needs
    attention". Each part is read only for the roles that see it."""
    membership = request.membership
    return render(
        request,
        "mentorship/org_home.html",
        {
            "roles": membership.roles,
            "mine": home_pages.participant_home(membership=membership)
            if membership.is_participant
            else None,
            "attention": home_pages.hr_attention() if membership.is_hr_admin else None,
        },
    )


# --- Members -------------------------------------------------------------------------------------


@require_GET
@role_required(Role.HR_ADMIN)
def members(request: HttpRequest, org_slug: str) -> HttpResponse:
    form = MemberFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    page = paginate(
        request, selectors.members_list(role=filters.get("role", ""), query=filters.get("q", ""))
    )
    context = {"form": form, "page": page, "querystring": querystring_without_page(request)}
    return render_page_or_partial(
        request, "mentorship/members.html", "mentorship/_members_table.html", context
    )


@require_http_methods(["GET", "POST"])
@role_required(Role.HR_ADMIN)
def member_edit(request: HttpRequest, org_slug: str, membership_id: int) -> HttpResponse:
    membership = selectors.membership_get(membership_id=membership_id)
    form = MemberRolesForm(posted(request), initial={"roles": [r.value for r in membership.roles]})
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_set_roles(
                membership=membership, roles=form.cleaned_data["roles"], actor=request.user
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Roles of {membership.user.display_name} saved.")
            return _org_redirect(request, "members")
    return render(request, "mentorship/member_edit.html", {"member": membership, "form": form})


@require_http_methods(["GET", "POST"])
@role_required(Role.HR_ADMIN)
def member_remove(request: HttpRequest, org_slug: str, membership_id: int) -> HttpResponse:
    membership = selectors.membership_get(membership_id=membership_id)
    error = ""
    if request.method == "POST":
        try:
            services.membership_remove(membership=membership, actor=request.user)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(
                request, f"{membership.user.display_name} was removed. Their history is kept."
            )
            return _org_redirect(request, "members")
    return render(request, "mentorship/member_remove.html", {"member": membership, "error": error})


# --- Invitations ---------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@role_required(Role.HR_ADMIN)
def invitations(request: HttpRequest, org_slug: str) -> HttpResponse:
    form = InvitationForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.invitation_create(
                organization=request.organization,
                email=form.cleaned_data["email"],
                role=Role(form.cleaned_data["role"]),
                invited_by=request.user,
            )
        except ValidationError as exc:
            form.add_error("email", exc)
        else:
            messages.success(request, f"Invitation sent to {form.cleaned_data['email']}.")
            return _org_redirect(request, "invitations")
    page = paginate(request, selectors.invitations_list())
    return render(request, "mentorship/invitations.html", {"form": form, "page": page})


@require_http_methods(["GET", "POST"])
@role_required(Role.HR_ADMIN)
def invitation_revoke(request: HttpRequest, org_slug: str, invitation_id: int) -> HttpResponse:
    invitation = selectors.invitation_get(invitation_id=invitation_id)
    error = ""
    if request.method == "POST":
        try:
            services.invitation_revoke(invitation=invitation, actor=request.user)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, f"The invitation of {invitation.email} was withdrawn.")
            return _org_redirect(request, "invitations")
    return render(
        request, "mentorship/invitation_revoke.html", {"invitation": invitation, "error": error}
    )


@never_cache
@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """The link from the invitation email. Works before the invitee has an account."""
    invitation = selectors.invitation_get_by_token_across_organizations(token=token)
    if invitation is None:
        return render(
            request,
            "mentorship/invitation_problem.html",
            {"problem": "This invitation link is not valid. Check that you copied the whole link."},
            status=404,
        )
    problem = services.INVITATION_PROBLEMS.get(invitation.status)
    if problem:
        return render(
            request,
            "mentorship/invitation_problem.html",
            {
                "problem": problem + " Ask your HR admin for a new invitation.",
                "invitation": invitation,
            },
            status=410,
        )
    if not request.user.is_authenticated:
        # Kept so that sign-up, email verification and sign-in lead back here via the home page.
        request.session[PENDING_INVITATION_SESSION_KEY] = token
        return render(request, "mentorship/invitation_signin.html", {"invitation": invitation})
    # A forwarded link: say so before offering a button that cannot work.
    error = services.invitation_address_problem(invitation=invitation, user=request.user)
    if request.method == "POST" and not error:
        try:
            membership = services.invitation_accept(invitation=invitation, user=request.user)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            request.session.pop(PENDING_INVITATION_SESSION_KEY, None)
            messages.success(request, f"Welcome to {membership.organization.name}.")
            return redirect("org_home", org_slug=membership.organization.slug)
    return render(
        request, "mentorship/invitation_accept.html", {"invitation": invitation, "error": error}
    )


# --- Notifications -------------------------------------------------------------------------------


@require_GET
@member_required
def notifications(request: HttpRequest, org_slug: str) -> HttpResponse:
    page = paginate(request, selectors.notifications_for_user(user=request.user))
    return render(request, "mentorship/notifications.html", {"page": page})


@require_POST
@member_required
def notifications_mark_all_read(request: HttpRequest, org_slug: str) -> HttpResponse:
    count = services.notifications_mark_all_read(user=request.user)
    messages.success(request, f"{count} notification{'s' if count != 1 else ''} marked as read.")
    return _org_redirect(request, "notifications")


@require_POST
@member_required
def notification_open(request: HttpRequest, org_slug: str, notification_id: int) -> HttpResponse:
    notification = selectors.notification_get_for_user(
        user=request.user, notification_id=notification_id
    )
    services.notification_mark_read(notification=notification)
    if notification.url and url_has_allowed_host_and_scheme(
        notification.url, allowed_hosts={request.get_host()}
    ):
        return redirect(notification.url)
    return _org_redirect(request, "notifications")


# --- Audit ---------------------------------------------------------------------------------------


@require_GET
@role_required(Role.HR_ADMIN)
def audit_log(request: HttpRequest, org_slug: str) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    action = form.cleaned_data.get("action", "") if form.is_valid() else ""
    page = paginate(request, selectors.audit_events(action=action), per_page=50)
    return render(
        request,
        "mentorship/audit_log.html",
        {"form": form, "page": page, "querystring": querystring_without_page(request)},
    )


# --- The person's own account --------------------------------------------------------------------


@require_GET
@login_required
def sign_ins(request: HttpRequest) -> HttpResponse:
    """The signed-in person's sign-ins and failed attempts on their account, with addresses.

    Theirs alone: no organisation sees them (it records only that they entered it)."""
    page = paginate(request, selectors.sign_ins_of_user(user=request.user))
    return render(request, "mentorship/sign_ins.html", {"page": page})


# --- Health --------------------------------------------------------------------------------------


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        return False


def _broker_ok() -> bool:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=2)
        return True
    except Exception:
        return False


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 while the database answers; the broker is reported, not required (the database is
    the source of truth and dispatchers catch up once the broker is back)."""
    database = _database_ok()
    body = {
        "status": "ok" if database else "down",
        "database": "ok" if database else "down",
        "broker": "ok" if _broker_ok() else "down",
    }
    return JsonResponse(body, status=200 if database else 503)


@require_http_methods(["GET", "POST"])
@role_required(Role.HR_ADMIN)
def organization_settings(request: HttpRequest, org_slug: str) -> HttpResponse:
    organization = request.organization
    form = OrganizationSettingsForm(
        posted(request),
        initial={
            "name": organization.name,
            "anonymity_threshold": organization.anonymity_threshold,
            "mfa_required": organization.mfa_required,
        },
    )
    if request.method == "POST" and form.is_valid():
        services.organization_update(
            organization=organization, actor=request.user, **form.cleaned_data
        )
        messages.success(request, "Settings saved.")
        return _org_redirect(request, "organization_settings")
    return render(request, "mentorship/settings.html", {"form": form})
