"""A pair's page: confirmation by the senior, the agreement, a confidential exit, dissolving."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mentorship.tenancy import member_required
from mentorship.web import confirm_then_act, error_text, posted
from pairings import selectors
from pairings.forms import ExitForm
from pairings.models import Pairing
from pairings.services import exits as exit_services
from pairings.services import pairs as pair_services


def _pair_page(request: HttpRequest, pairing: Pairing) -> HttpResponse:
    return redirect("pair_detail", org_slug=request.organization.slug, pairing_id=pairing.pk)


@require_GET
@member_required
def my_pairs(request: HttpRequest, org_slug: str) -> HttpResponse:
    pairs = selectors.live_pairings_of_member(membership=request.membership)
    return render(request, "pairings/my_pairs.html", {"pairs": pairs})


@require_GET
@member_required
def pair_detail(request: HttpRequest, org_slug: str, pairing_id: int) -> HttpResponse:
    pairing = selectors.pairing_get_for_member(membership=request.membership, pairing_id=pairing_id)
    side = selectors.pairing_side_of(pairing=pairing, membership=request.membership)
    events = selectors.pairing_events_for(pairing=pairing, membership=request.membership)
    accepted = {
        "mentor": pairing.mentor_accepted_at,
        "mentee": pairing.mentee_accepted_at,
    }
    return render(
        request,
        "pairings/pair_detail.html",
        {
            "pairing": pairing,
            "side": side,
            "partner": pairing.mentee if side == "mentor" else pairing.mentor,
            "i_accepted": bool(side and accepted[side]),
            "events": events,
            "i_asked_exit": bool(side and getattr(pairing, selectors.EXIT_FIELDS[side])),
            "exit_requests": selectors.pairing_exit_requests_for(
                pairing=pairing, membership=request.membership
            ),
        },
    )


@require_POST
@member_required
def pair_action(request: HttpRequest, org_slug: str, pairing_id: int) -> HttpResponse:
    pairing = selectors.pairing_get_for_member(membership=request.membership, pairing_id=pairing_id)
    action = request.POST.get("action")
    try:
        if action in ("confirm", "decline"):
            pair_services.pairing_confirm(
                pairing=pairing, membership=request.membership, confirm=action == "confirm"
            )
            messages.success(
                request, _("Pairing confirmed.") if action == "confirm" else _("Pairing declined.")
            )
        elif action == "accept":
            pair_services.pairing_accept_agreement(pairing=pairing, membership=request.membership)
            messages.success(request, _("You accepted the agreement."))
        else:
            raise ValidationError(_("Choose what to do with this pairing."))
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    return _pair_page(request, pairing)


@require_http_methods(["GET", "POST"])
@member_required
def pair_exit(request: HttpRequest, org_slug: str, pairing_id: int) -> HttpResponse:
    pairing = selectors.pairing_get_for_member(membership=request.membership, pairing_id=pairing_id)
    side = selectors.pairing_side_of(pairing=pairing, membership=request.membership)
    if not side:
        raise Http404("Only the partners ask for an exit")
    field = selectors.EXIT_FIELDS[side]
    form = ExitForm(posted(request))
    context = {"pairing": pairing, "form": form, "asked_at": getattr(pairing, field)}

    def ask() -> HttpResponse:
        # Asking twice records nothing: the page says when this partner asked instead.
        if context["asked_at"] or not form.is_valid():
            return render(request, "pairings/pair_exit.html", {**context, "error": ""})
        try:
            exit_services.pairing_request_exit(
                pairing=pairing, membership=request.membership, note=form.cleaned_data["note"]
            )
        except ValidationError:
            # Refused because this partner asked meanwhile (another tab): the page says when.
            context["asked_at"] = getattr(pairing, field)
            raise
        messages.success(
            request,
            _("Your request went to the HR admins, in confidence. No blame, no reason needed."),
        )
        return _pair_page(request, pairing)

    return confirm_then_act(request, template="pairings/pair_exit.html", context=context, act=ask)


@require_http_methods(["GET", "POST"])
@member_required
def pair_dissolve(request: HttpRequest, org_slug: str, pairing_id: int) -> HttpResponse:
    if not request.membership.is_hr_admin:
        raise Http404("HR admins dissolve pairs")
    pairing = selectors.pairing_get_for_member(membership=request.membership, pairing_id=pairing_id)

    def dissolve() -> HttpResponse:
        pair_services.pairing_dissolve(pairing=pairing, actor=request.user)
        messages.success(
            request,
            _("The pair was dissolved. Both people can be matched again from the matching page."),
        )
        return _pair_page(request, pairing)

    return confirm_then_act(
        request, template="pairings/pair_dissolve.html", context={"pairing": pairing}, act=dissolve
    )
