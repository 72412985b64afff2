"""A member's own calendar, read for free/busy through its private iCalendar address: connect
it, see how its reading goes, check it now, remove it. Every member, for themselves only."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from mentorship.tenancy import member_required
from mentorship.web import confirm_then_act, posted
from pairings.busy import busy_calendar_of
from pairings.busy_fetch import MAX_BYTES, TIMEOUT_SECONDS
from pairings.busy_forms import BusyCalendarForm
from pairings.services import busy_calendars


def _to_page(request: HttpRequest) -> HttpResponse:
    return redirect("busy_calendar", org_slug=request.organization.slug)


# The page shows what was typed back to the person who typed it (a refused address), and never
# the stored one: no cache may keep either. The address is a secret: an error report leaves
# it out of the request's POST data.
@sensitive_post_parameters("url")
@never_cache
@require_http_methods(["GET", "POST"])
@member_required
def busy_calendar(request: HttpRequest, org_slug: str) -> HttpResponse:
    if request.method == "POST" and request.POST.get("action") == "check":
        if busy_calendars.busy_calendar_check_now(membership=request.membership):
            messages.success(request, _("Your calendar is being read again; reload in a moment."))
        else:
            messages.info(request, _("Your calendar was read less than a minute ago."))
        return _to_page(request)
    form = BusyCalendarForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            saved = busy_calendars.busy_calendar_set(
                membership=request.membership, url=form.cleaned_data["url"]
            )
        except ValidationError as exc:
            form.add_error("url", exc)
        else:
            messages.success(request, _saved_message(saved))
            return _to_page(request)
    return render(
        request,
        "pairings/busy_calendar.html",
        {
            "view": busy_calendar_of(membership=request.membership),
            "form": form,
            "max_mb": MAX_BYTES // (1024 * 1024),
            "timeout": TIMEOUT_SECONDS,
        },
    )


def _saved_message(saved: busy_calendars.Saved) -> str:
    if not saved.changed:
        if saved.queued:
            return _("This address is already connected; your calendar is being read again.")
        return _(
            "This address is already connected, and your calendar was read less than a "
            "minute ago: it is read again at most once a minute."
        )
    if saved.queued:
        return _("Your calendar is connected. It is read in a moment, then every 15 minutes.")
    return _(
        "Your calendar is connected. It was read less than a minute ago, so the new address "
        "is read within a minute, then every 15 minutes."
    )


@require_http_methods(["GET", "POST"])
@member_required
def busy_calendar_remove(request: HttpRequest, org_slug: str) -> HttpResponse:
    if request.method == "GET" and busy_calendar_of(membership=request.membership).calendar is None:
        return _to_page(request)

    def remove() -> HttpResponse:
        if busy_calendars.busy_calendar_remove(membership=request.membership):
            messages.success(
                request, _("Your calendar is disconnected: its address and busy times are deleted.")
            )
        return _to_page(request)

    return confirm_then_act(
        request,
        template="pairings/meeting_confirm.html",
        context={
            "title": _("Disconnect your calendar?"),
            "text": _(
                "Its address and the busy times read from it are deleted. Suggested "
                "meeting times then follow your weekly availability and your meetings here only."
            ),
            "button": _("Disconnect the calendar"),
            "back": _("Keep it"),
            "back_url": reverse("busy_calendar", kwargs={"org_slug": request.organization.slug}),
        },
        act=remove,
    )
