"""Keeping a quiet pair after the notice that it would close (``services.quiet``)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mentorship.tenancy import member_required
from mentorship.web import error_text
from pairings.selectors import pairing_get_for_member, pairing_side_of
from pairings.services import quiet as quiet_services


@require_POST
@member_required
def pair_keep(request: HttpRequest, org_slug: str, pairing_id: int) -> HttpResponse:
    """A partner's one click on "Keep our pair". Anyone else (an HR admin too: keeping is the
    partners' choice), and any pair of another organisation, gets the same 404."""
    pairing = pairing_get_for_member(membership=request.membership, pairing_id=pairing_id)
    if not pairing_side_of(pairing=pairing, membership=request.membership):
        raise Http404("Only the two partners keep their pair")
    try:
        quiet_services.pairing_keep(pairing=pairing, membership=request.membership)
    except ValidationError as exc:
        messages.info(request, error_text(exc))
    else:
        messages.success(
            request,
            _(
                "Your pair is kept: it will not close. Your partner was told. Find a time for "
                "your next session below."
            ),
        )
    return redirect("pair_detail", org_slug=request.organization.slug, pairing_id=pairing.pk)
