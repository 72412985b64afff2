"""The organisation's settings (HR admins)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from mentorship import services
from mentorship.forms import (
    OrganizationSettingsForm,
)
from mentorship.models import Role
from mentorship.tenancy import role_required
from mentorship.web import posted


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
            "default_language": organization.default_language,
        },
    )
    if request.method == "POST" and form.is_valid():
        services.organization_update(
            organization=organization, actor=request.user, **form.cleaned_data
        )
        messages.success(request, _("Settings saved."))
        return redirect("organization_settings", org_slug=org_slug)
    return render(request, "mentorship/settings.html", {"form": form})
