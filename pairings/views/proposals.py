"""Find a time, proposed times, and the one-click answer (in the app or from the email's signed
link, which works without signing in)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from mentorship.tenancy import member_required, tenant_scope
from mentorship.web import error_text, posted, posted_number
from pairings import proposal_selectors as reads
from pairings.models import Meeting, Pairing
from pairings.proposal_forms import DeclineForm, ProposalForm
from pairings.selectors import pairing_get_for_member, pairing_side_of, viewer_timezone
from pairings.services import proposals as proposal_services
from pairings.timezones import when_in


def _pair_of_partner(request: HttpRequest, pairing_id: int) -> Pairing:
    """The pair, if the viewer is one of its partners; 404 otherwise (an HR admin too: the
    partners arrange their meetings)."""
    pairing = pairing_get_for_member(membership=request.membership, pairing_id=pairing_id)
    if not pairing_side_of(pairing=pairing, membership=request.membership):
        raise Http404("Only the two partners arrange their meetings")
    return pairing


def _to_meeting(request: HttpRequest, meeting: Meeting) -> HttpResponse:
    return redirect(
        "meeting_detail",
        org_slug=request.organization.slug,
        pairing_id=meeting.pairing_id,
        meeting_id=meeting.pk,
    )


def _find_time_page(
    request: HttpRequest, pairing: Pairing, form: ProposalForm, found: reads.FindTime
) -> HttpResponse:
    return render(
        request,
        "pairings/find_time.html",
        {
            "pairing": pairing,
            "found": found,
            "form": form,
            "tz": form.tz,
            "waiting": reads.open_proposal_from(pairing=pairing, membership=request.membership),
            "to_answer": reads.open_proposals_to(pairing=pairing, membership=request.membership),
        },
    )


@require_GET
@member_required
def find_time(request: HttpRequest, org_slug: str, pairing_id: int) -> HttpResponse:
    pairing = _pair_of_partner(request, pairing_id)
    found = reads.find_time_for(pairing=pairing, membership=request.membership)
    tz = viewer_timezone(pairing=pairing, membership=request.membership)
    form = ProposalForm(tz=tz, suggestions=found.suggestions)
    return _find_time_page(request, pairing, form, found)


@require_http_methods(["GET", "POST"])
@member_required
def proposal_new(request: HttpRequest, org_slug: str, pairing_id: int) -> HttpResponse:
    pairing = _pair_of_partner(request, pairing_id)
    if request.method == "GET":
        return redirect("find_time", org_slug=request.organization.slug, pairing_id=pairing.pk)
    # Computed again: a refused form shows the suggestions as they are now.
    found = reads.find_time_for(pairing=pairing, membership=request.membership)
    tz = viewer_timezone(pairing=pairing, membership=request.membership)
    form = ProposalForm(request.POST, tz=tz, suggestions=found.suggestions)
    if form.is_valid():
        try:
            proposal = proposal_services.proposal_create(
                pairing=pairing,
                actor=request.user,
                duration_minutes=pairing.program.meeting_minutes,
                **form.proposal(),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            count = len(proposal.slots)
            messages.success(
                request,
                ngettext(
                    "Your time was sent to %(name)s. You will hear when they answer.",
                    "Your %(count)s times were sent to %(name)s. You will hear when they answer.",
                    count,
                )
                % {"count": count, "name": reads.proposal_recipient(proposal).full_name},
            )
            return redirect(
                "proposal_detail",
                org_slug=request.organization.slug,
                pairing_id=pairing.pk,
                proposal_id=proposal.pk,
            )
    return _find_time_page(request, pairing, form, found)


@require_http_methods(["GET", "POST"])
@member_required
def proposal_detail(
    request: HttpRequest, org_slug: str, pairing_id: int, proposal_id: int
) -> HttpResponse:
    pairing = _pair_of_partner(request, pairing_id)
    proposal = reads.proposal_get(pairing=pairing, proposal_id=proposal_id)
    side = pairing_side_of(pairing=pairing, membership=request.membership)
    is_recipient = proposal.proposed_by_id != getattr(pairing, side).pk
    decline_form = DeclineForm(posted(request) if request.POST.get("action") == "decline" else None)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "accept":
                index = posted_number(request, "slot", max_digits=2)
                meeting = proposal_services.proposal_accept(
                    proposal=proposal, slot_index=-1 if index is None else index, actor=request.user
                )
                tz = viewer_timezone(pairing=pairing, membership=request.membership)
                messages.success(
                    request,
                    _(
                        "Meeting scheduled for %(when)s. A calendar invitation is on its way to "
                        "you both."
                    )
                    % {"when": when_in(meeting.starts_at, tz)},
                )
                return _to_meeting(request, meeting)
            if action == "decline" and decline_form.is_valid():
                proposal_services.proposal_decline(
                    proposal=proposal, actor=request.user, note=decline_form.cleaned_data["note"]
                )
                messages.success(
                    request, _("You declined these times. Your partner has been told.")
                )
                return redirect("find_time", org_slug=org_slug, pairing_id=pairing.pk)
            if action == "withdraw":
                proposal_services.proposal_withdraw(proposal=proposal, actor=request.user)
                messages.success(request, _("You withdrew these times."))
                return redirect("find_time", org_slug=org_slug, pairing_id=pairing.pk)
            if action not in ("decline",):
                raise ValidationError(_("Choose what to do with these times."))
        except ValidationError as exc:
            messages.error(request, error_text(exc))
    return render(
        request,
        "pairings/proposal_detail.html",
        {
            "pairing": pairing,
            "proposal": proposal,
            "times": reads.proposal_times(proposal),
            "is_recipient": is_recipient,
            "problem": reads.answer_problem(proposal=proposal),
            "decline_form": decline_form,
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def proposal_link(request: HttpRequest, token: str) -> HttpResponse:
    """A proposed time's signed link from the email: the signature names the organisation, the
    proposal, the time and the recipient, so it works without signing in.

    GET never accepts: mail scanners and link previews follow every link in an email, and a
    GET that accepted would book the first time before the person even read the message. GET
    shows the time and one button; the POST (CSRF-protected) accepts.
    """
    check = reads.link_check(token=token)
    user = request.user
    other_person = (
        user.is_authenticated and check.recipient is not None and user.pk != check.recipient.pk
    )
    if check.organization is None or other_person:
        # Not for this person: the refusal names nobody and nothing of the proposal.
        response = render(
            request,
            "pairings/proposal_link.html",
            {"problem": check.problem, "other_person": other_person},
            status=403 if other_person else 404,
        )
        return _private(response)
    with tenant_scope(check.organization):
        proposal = check.proposal
        context = {
            "organization": check.organization,
            "proposal": proposal,
            "time": reads.proposal_times(proposal)[check.slot_index],
            "problem": check.problem,
        }
        if request.method == "POST" and not check.problem:
            try:
                meeting = proposal_services.proposal_accept(
                    proposal=proposal, slot_index=check.slot_index, actor=check.recipient
                )
            except ValidationError as exc:
                context["problem"] = error_text(exc)
            else:
                if user.is_authenticated:
                    messages.success(
                        request,
                        _("Meeting scheduled. A calendar invitation is on its way to you both."),
                    )
                    return redirect(
                        "meeting_detail",
                        org_slug=check.organization.slug,
                        pairing_id=meeting.pairing_id,
                        meeting_id=meeting.pk,
                    )
                context["meeting"] = meeting
        return _private(render(request, "pairings/proposal_link.html", context))


def _private(response: HttpResponse) -> HttpResponse:
    # The token is in the address: keep it out of search engines and other sites' logs. Not
    # "no-referrer": browsers then send "Origin: null" with the page's own form, and the CSRF
    # check refuses the Accept button.
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "same-origin"
    return response
