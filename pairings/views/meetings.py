"""Meetings of a pair (list, schedule, reschedule, cancel, calendar file) and the member's
personal calendar feed (its settings page under the organisation, and the public feed itself)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_safe

from mentorship.tenancy import member_required, tenant_scope
from mentorship.web import confirm_then_act, error_text, posted
from pairings import calendars, selectors
from pairings.forms import MeetingForm
from pairings.models import Pairing
from pairings.selectors import pairing_get_for_member, pairing_side_of
from pairings.services import meetings as meeting_services
from pairings.timezones import when_in

CALENDAR_CONTENT_TYPE = "text/calendar; charset=utf-8"


def _pair_of_partner(request: HttpRequest, pairing_id: int) -> Pairing:
    """The pair, if the viewer is one of its two partners; 404 otherwise (an HR admin too: they
    see when a pair meets, but the meetings are the pair's own to arrange)."""
    pairing = pairing_get_for_member(membership=request.membership, pairing_id=pairing_id)
    if not pairing_side_of(pairing=pairing, membership=request.membership):
        raise Http404("Only the two partners arrange their meetings")
    return pairing


def _to_list(request: HttpRequest, pairing: Pairing) -> HttpResponse:
    return redirect("meeting_list", org_slug=request.organization.slug, pairing_id=pairing.pk)


@require_GET
@member_required
def meeting_list(request: HttpRequest, org_slug: str, pairing_id: int) -> HttpResponse:
    pairing = pairing_get_for_member(membership=request.membership, pairing_id=pairing_id)
    is_partner = bool(pairing_side_of(pairing=pairing, membership=request.membership))
    upcoming, past = selectors.meetings_of_pairing(pairing=pairing)
    return render(
        request,
        "pairings/meeting_list.html",
        {
            "pairing": pairing,
            "is_partner": is_partner,
            "tz": selectors.viewer_timezone(pairing=pairing, membership=request.membership),
            "upcoming": upcoming,
            "past": past,
            "schedule_problem": selectors.meeting_schedule_problem(pairing=pairing),
        },
    )


@require_http_methods(["GET", "POST"])
@member_required
def meeting_new(request: HttpRequest, org_slug: str, pairing_id: int) -> HttpResponse:
    pairing = _pair_of_partner(request, pairing_id)
    tz = selectors.viewer_timezone(pairing=pairing, membership=request.membership)
    form = MeetingForm(posted(request), tz=tz, default_minutes=pairing.program.meeting_minutes)
    if request.method == "POST" and form.is_valid():
        try:
            meeting = meeting_services.meeting_schedule(
                pairing=pairing, actor=request.user, **form.slot()
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                _(
                    "Meeting scheduled for %(when)s. A calendar invitation is on its way to you "
                    "both."
                )
                % {"when": when_in(meeting.starts_at, tz)},
            )
            return _to_list(request, pairing)
    return render(
        request,
        "pairings/meeting_form.html",
        {
            "pairing": pairing,
            "form": form,
            "tz": tz,
            "problem": selectors.meeting_schedule_problem(pairing=pairing),
        },
    )


@require_http_methods(["GET", "POST"])
@member_required
def meeting_edit(
    request: HttpRequest, org_slug: str, pairing_id: int, meeting_id: int
) -> HttpResponse:
    pairing = _pair_of_partner(request, pairing_id)
    meeting = selectors.meeting_get(pairing=pairing, meeting_id=meeting_id)
    tz = selectors.viewer_timezone(pairing=pairing, membership=request.membership)
    form = MeetingForm(posted(request), tz=tz, meeting=meeting)
    if request.method == "POST" and form.is_valid():
        try:
            meeting_services.meeting_reschedule(meeting=meeting, actor=request.user, **form.slot())
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                _("Meeting moved to %(when)s. The updated invitation is on its way to you both.")
                % {"when": when_in(meeting.starts_at, tz)},
            )
            return _to_list(request, pairing)
    return render(
        request,
        "pairings/meeting_form.html",
        {
            "pairing": pairing,
            "form": form,
            "tz": tz,
            "meeting": meeting,
            "problem": selectors.meeting_change_problem(meeting=meeting)
            or selectors.meeting_schedule_problem(pairing=pairing),
        },
    )


@require_http_methods(["GET", "POST"])
@member_required
def meeting_cancel(
    request: HttpRequest, org_slug: str, pairing_id: int, meeting_id: int
) -> HttpResponse:
    pairing = _pair_of_partner(request, pairing_id)
    meeting = selectors.meeting_get(pairing=pairing, meeting_id=meeting_id)
    tz = selectors.viewer_timezone(pairing=pairing, membership=request.membership)
    problem = selectors.meeting_change_problem(meeting=meeting)
    if request.method == "GET" and problem:
        messages.error(request, problem)
        return _to_list(request, pairing)

    def cancel() -> HttpResponse:
        try:
            meeting_services.meeting_cancel(meeting=meeting, actor=request.user)
        except ValidationError as exc:
            # Started or cancelled meanwhile: the list says why, as the GET would have.
            messages.error(request, error_text(exc))
        else:
            messages.success(request, _("Meeting cancelled. Your partner has been told."))
        return _to_list(request, pairing)

    return confirm_then_act(
        request,
        template="pairings/meeting_confirm.html",
        context={
            "title": _("Cancel this meeting?"),
            "text": _(
                "The meeting on %(when)s is cancelled for you both, and your calendars are "
                "updated. Your partner sees that you cancelled it."
            )
            % {"when": when_in(meeting.starts_at, tz)},
            "button": _("Cancel the meeting"),
            "back": _("Keep it"),
            "back_url": reverse(
                "meeting_list",
                kwargs={"org_slug": request.organization.slug, "pairing_id": pairing.pk},
            ),
        },
        act=cancel,
    )


@require_GET
@member_required
def meeting_invite(
    request: HttpRequest, org_slug: str, pairing_id: int, meeting_id: int
) -> HttpResponse:
    """The meeting's current calendar file, for either partner to add by hand."""
    pairing = _pair_of_partner(request, pairing_id)
    meeting = selectors.meeting_get(pairing=pairing, meeting_id=meeting_id)
    response = HttpResponse(calendars.meeting_ics_for(meeting=meeting), CALENDAR_CONTENT_TYPE)
    response["Content-Disposition"] = 'attachment; filename="invite.ics"'
    return response


@never_cache  # the POST answer carries the feed's secret
@require_http_methods(["GET", "POST"])
@member_required
def calendar_settings(request: HttpRequest, org_slug: str) -> HttpResponse:
    """The member's personal feed: create or replace it (POST), with its URL shown this once."""
    feed_url = ""
    if request.method == "POST":
        token = meeting_services.calendar_feed_token_create(membership=request.membership)
        feed_url = calendars.calendar_feed_url(token=token)
    return render(
        request,
        "pairings/calendar_feed.html",
        {
            "feed": selectors.calendar_feed_of(membership=request.membership),
            "feed_url": feed_url,
        },
    )


@require_http_methods(["GET", "POST"])
@member_required
def calendar_revoke(request: HttpRequest, org_slug: str) -> HttpResponse:
    if (
        request.method == "GET"
        and selectors.calendar_feed_of(membership=request.membership) is None
    ):
        return redirect("calendar_settings", org_slug=request.organization.slug)

    def revoke() -> HttpResponse:
        if meeting_services.calendar_feed_revoke(membership=request.membership):
            messages.success(
                request, _("Your calendar feed is turned off. Its URL no longer works.")
            )
        return redirect("calendar_settings", org_slug=request.organization.slug)

    return confirm_then_act(
        request,
        template="pairings/meeting_confirm.html",
        context={
            "title": _("Turn off your calendar feed?"),
            "text": _(
                "Calendars subscribed to it stop receiving your meetings. You can create "
                "a new feed at any time; it gets a new URL."
            ),
            "button": _("Turn off the feed"),
            "back": _("Keep it"),
            "back_url": reverse(
                "calendar_settings", kwargs={"org_slug": request.organization.slug}
            ),
        },
        act=revoke,
    )


@require_safe
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The public feed a calendar app subscribes to. The secret token is the only credential
    (calendar apps cannot sign in); it finds one member of one organisation."""
    membership, items = selectors.calendar_feed_events_across_organizations(token=token)
    with tenant_scope(membership.organization):
        body = calendars.calendar_feed_render(membership=membership, meetings=items)
    response = HttpResponse(body, CALENDAR_CONTENT_TYPE)
    response["Content-Disposition"] = 'inline; filename="reverse-mentoring.ics"'
    response["X-Robots-Tag"] = "noindex, nofollow"
    # A revoked feed must stop at once, and shared caches must never hold anyone's meetings.
    patch_cache_control(response, private=True, no_cache=True, max_age=0)
    return response
