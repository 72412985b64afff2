"""The sponsor's weekly digest setting: one checkbox, on by default (see ``digest``)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from mentorship.frame import digest
from mentorship.frame.forms import DigestSettingsForm
from mentorship.models import Role
from mentorship.tenancy import role_required
from mentorship.web import posted


@require_http_methods(["GET", "POST"])
@role_required(Role.SPONSOR)
def digest_settings(request: HttpRequest, org_slug: str) -> HttpResponse:
    membership = request.membership
    form = DigestSettingsForm(
        posted(request), initial={"sponsor_digest": membership.sponsor_digest}
    )
    if request.method == "POST" and form.is_valid():
        enabled = form.cleaned_data["sponsor_digest"]
        digest.digest_preference_set(membership=membership, enabled=enabled)
        messages.success(
            request,
            _("You will receive the weekly digest.")
            if enabled
            else _("You will no longer receive the weekly digest."),
        )
        # Post/redirect/get: a reload of the page does not submit the choice again.
        return redirect("digest_settings", org_slug=request.organization.slug)
    return render(request, "mentorship/digest_settings.html", {"form": form})
