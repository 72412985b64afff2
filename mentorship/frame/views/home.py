"""The home pages: where a signed-in person lands, and an organisation's home per role."""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from mentorship import selectors
from mentorship.frame import home as home_pages
from mentorship.tenancy import member_required
from mentorship.web import PENDING_INVITATION_SESSION_KEY


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
