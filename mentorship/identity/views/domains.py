"""Settings → Claimed domains (HR admins): the email domains the organisation speaks for."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from mentorship.identity import selectors, services, settings_selectors
from mentorship.identity.forms import DomainClaimForm
from mentorship.identity.views.reauthentication import (
    changes_need_reauthentication,
    reauthentication_context,
    reauthentication_redirect,
)
from mentorship.models import Role
from mentorship.tenancy import role_required
from mentorship.web import confirm_then_act, posted


@require_http_methods(["GET", "POST"])
@role_required(Role.HR_ADMIN)
@changes_need_reauthentication
def domains(request: HttpRequest, org_slug: str) -> HttpResponse:
    organization = request.organization
    form = DomainClaimForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            claim = services.domain_claim(
                organization=organization, domain=form.cleaned_data["domain"], actor=request.user
            )
        except ValidationError as exc:
            form.add_error("domain", exc)
        else:
            messages.success(request, _("%(domain)s is claimed.") % {"domain": claim.domain})
            return redirect("claimed_domains", org_slug=org_slug)
    return render(
        request,
        "identity/settings/domains.html",
        {
            "form": form,
            **reauthentication_context(request),
            "domains": selectors.claimed_domains(organization=organization).select_related(
                "claimed_by"
            ),
            "claimable": settings_selectors.claimable_domains(
                organization=organization, user=request.user
            ),
        },
    )


@require_http_methods(["GET", "POST"])
@role_required(Role.HR_ADMIN)
def domain_release(request: HttpRequest, org_slug: str, domain_id: int) -> HttpResponse:
    domain = settings_selectors.claimed_domain_get(domain_id=domain_id)
    confirm = reauthentication_redirect(request)
    if confirm is not None:
        return confirm

    def release() -> HttpResponse:
        services.domain_release(domain=domain, actor=request.user)
        messages.success(request, _("%(domain)s is released.") % {"domain": domain.domain})
        return redirect("claimed_domains", org_slug=org_slug)

    return confirm_then_act(
        request,
        template="identity/settings/domain_release.html",
        context={"domain": domain},
        act=release,
    )
