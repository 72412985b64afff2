"""Invitations: sending, withdrawing, and the link from the email (before an account exists)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from mentorship import selectors, services
from mentorship.forms import (
    InvitationForm,
)
from mentorship.models import Role
from mentorship.tenancy import role_required
from mentorship.web import (
    PENDING_INVITATION_SESSION_KEY,
    confirm_then_act,
    error_text,
    paginate,
    posted,
)


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
            messages.success(
                request, _("Invitation sent to %(email)s.") % {"email": form.cleaned_data["email"]}
            )
            return redirect("invitations", org_slug=org_slug)
    page = paginate(request, selectors.invitations_list())
    return render(request, "mentorship/invitations.html", {"form": form, "page": page})


@require_http_methods(["GET", "POST"])
@role_required(Role.HR_ADMIN)
def invitation_revoke(request: HttpRequest, org_slug: str, invitation_id: int) -> HttpResponse:
    invitation = selectors.invitation_get(invitation_id=invitation_id)

    def revoke() -> HttpResponse:
        services.invitation_revoke(invitation=invitation, actor=request.user)
        messages.success(
            request, _("The invitation of %(email)s was withdrawn.") % {"email": invitation.email}
        )
        return redirect("invitations", org_slug=org_slug)

    return confirm_then_act(
        request,
        template="mentorship/invitation_revoke.html",
        context={"invitation": invitation},
        act=revoke,
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
            {
                "problem": _(
                    "This invitation link is not valid. Check that you copied the whole link."
                )
            },
            status=404,
        )
    problem = services.INVITATION_PROBLEMS.get(invitation.status)
    if problem:
        return render(
            request,
            "mentorship/invitation_problem.html",
            {
                "problem": " ".join([str(problem), _("Ask your HR admin for a new invitation.")]),
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
            error = error_text(exc)
        else:
            request.session.pop(PENDING_INVITATION_SESSION_KEY, None)
            messages.success(
                request,
                _("Welcome to %(organization)s.") % {"organization": membership.organization.name},
            )
            return redirect("org_home", org_slug=membership.organization.slug)
    return render(
        request, "mentorship/invitation_accept.html", {"invitation": invitation, "error": error}
    )
