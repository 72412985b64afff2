"""Session logs: either partner logs; notes stay with the pair (private notes with the author);
HR admins see the dates, lengths and topics only."""

from __future__ import annotations

import re

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from mentorship.tenancy import member_required
from mentorship.web import posted
from pairings import guides, selectors
from pairings.forms import SessionLogForm
from pairings.models import Pairing
from pairings.services.session_logs import LikelyDuplicate, session_log_create
from pairings.timezones import zone_named
from programs.models import Participant


def _partner_participant(request: HttpRequest, pairing: Pairing) -> Participant:
    side = selectors.pairing_side_of(pairing=pairing, membership=request.membership)
    if not side:
        raise Http404("Only the partners log sessions")
    return pairing.mentor if side == "mentor" else pairing.mentee


def _initial(
    pairing: Pairing, author: Participant, logged: guides.LoggedMeeting | None
) -> dict[str, object]:
    """The meeting's day and length when it has started (the usual case: logging what was just
    held); the program's meeting length otherwise."""
    if logged is not None and logged.meeting.starts_at <= timezone.now():
        meeting = logged.meeting
        return {
            "date": meeting.starts_at.astimezone(zone_named(author.timezone)).date(),
            "minutes": meeting.duration_minutes,
        }
    return {"minutes": pairing.program.meeting_minutes}


@require_GET
@member_required
def session_list(request: HttpRequest, org_slug: str, pairing_id: int) -> HttpResponse:
    pairing = selectors.pairing_get_for_member(membership=request.membership, pairing_id=pairing_id)
    side = selectors.pairing_side_of(pairing=pairing, membership=request.membership)
    logs = selectors.session_logs_of_pairing(pairing=pairing)
    return render(
        request,
        "pairings/session_list.html",
        {
            "pairing": pairing,
            "logs": logs,
            # HR admins who are not in the pair read metadata only, never notes.
            "show_notes": bool(side),
            "me": (pairing.mentor if side == "mentor" else pairing.mentee) if side else None,
        },
    )


@require_http_methods(["GET", "POST"])
@member_required
def session_new(request: HttpRequest, org_slug: str, pairing_id: int) -> HttpResponse:
    pairing = selectors.pairing_get_for_member(membership=request.membership, pairing_id=pairing_id)
    author = _partner_participant(request, pairing)
    objectives = selectors.objectives_of(participant=author)
    # The meeting this log records ("Log this session" on a meeting's page names it), and its
    # guide in the session plan, which the form asks about.
    named = request.GET.get("meeting", "")
    named_id = int(named) if re.fullmatch(r"[0-9]{1,18}", named) else None
    logged = guides.logged_meeting(pairing=pairing, meeting_id=named_id)
    # The log records the meeting only when it was logged from that meeting's page (and the
    # meeting qualified): a guess (the latest meeting held) may be another session.
    meeting = logged.meeting if logged and logged.meeting.pk == named_id else None
    form = SessionLogForm(
        posted(request),
        objectives=objectives,
        guide=logged.guide if logged else None,
        initial=_initial(pairing, author, logged),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            session_log_create(
                pairing=pairing,
                author=author,
                date=data["date"],
                minutes=data["minutes"],
                topics=data["topics"],
                progress=form.progress(),
                taught=data["taught"],
                learned=data["learned"],
                shared_notes=data["shared_notes"],
                private_notes=data["private_notes"],
                confirm_duplicate=data["confirm_duplicate"],
                meeting=meeting,
                **form.guide_answer(),
            )
        except LikelyDuplicate as exc:
            form.show_duplicate_confirmation()
            form.add_error(None, exc)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Session logged. Thank you!"))
            # The feedback app offers its short survey there (a URL name, not an import:
            # pairings sits below feedback).
            return redirect("after_session", org_slug=org_slug, pairing_id=pairing.pk)
    return render(
        request,
        "pairings/session_form.html",
        {"pairing": pairing, "form": form, "logged": logged},
    )
