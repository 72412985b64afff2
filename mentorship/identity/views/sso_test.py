"""Testing an organisation's single sign-on before it goes live (HR admins): the HR admin signs
in through the provider, and comes back to Settings with what it sent. Nobody is signed in and
no account changes (``sso.adapter``: the test ends in ``pre_social_login``)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mentorship.identity import selectors as identity_selectors
from mentorship.identity.sso.adapter import TESTING_SESSION_KEY
from mentorship.identity.sso.start import ProviderUnreachable, sign_in_start
from mentorship.models import Role
from mentorship.tenancy import role_required


@require_POST
@role_required(Role.HR_ADMIN)
def sso_test(request: HttpRequest, org_slug: str) -> HttpResponse:
    sso = identity_selectors.sso_of_organization(organization=request.organization)
    if sso is None:
        messages.info(request, _("Save the identity provider's details first, then test them."))
        return redirect("sso_settings", org_slug=org_slug)
    # Makes the configuration usable by this session only, whatever its state (adapter.usable).
    request.session[TESTING_SESSION_KEY] = sso.provider_id
    try:
        return sign_in_start(request, sso=sso)
    except ProviderUnreachable as exc:
        request.session.pop(TESTING_SESSION_KEY, None)
        reason = type(exc.__cause__).__name__ if exc.__cause__ else "error"
        messages.error(
            request,
            _(
                "The test could not start: the identity provider could not be reached, or its "
                "answer was not understood (%(reason)s). Check its address, then test again."
            )
            % {"reason": reason},
        )
        return redirect("sso_settings", org_slug=org_slug)
