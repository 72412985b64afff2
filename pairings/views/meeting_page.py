"""One meeting's page: when (in the viewer's zone and the partner's), where, and the session
plan's guide for it.

Protected as the pair's meetings list is: whoever may see the pair sees when it meets (an HR
admin too: a meeting time is not content), but only the two partners see the place, who did
what, and the conversation guide (what a pair talks about stays with the pair).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from mentorship.tenancy import member_required
from pairings import guides, selectors
from pairings.timezones import zone_named
from programs.guides import guide_rendered


@require_GET
@member_required
def meeting_detail(
    request: HttpRequest, org_slug: str, pairing_id: int, meeting_id: int
) -> HttpResponse:
    pairing = selectors.pairing_get_for_member(membership=request.membership, pairing_id=pairing_id)
    meeting = selectors.meeting_get(pairing=pairing, meeting_id=meeting_id)
    side = selectors.pairing_side_of(pairing=pairing, membership=request.membership)
    context: dict[str, object] = {
        "pairing": pairing,
        "meeting": meeting,
        "is_partner": bool(side),
        "tz": selectors.viewer_timezone(pairing=pairing, membership=request.membership),
        "ends_at": selectors.meeting_ends_at(meeting),
        "started": meeting.starts_at <= timezone.now(),
    }
    if side:
        partner = pairing.mentee if side == "mentor" else pairing.mentor
        # Cancelled meetings have no number: the plan follows the meetings actually held.
        number = None if meeting.cancelled_at else guides.meeting_number(meeting=meeting)
        guide = guides.guide_for_meeting(meeting=meeting, number=number) if number else None
        context.update(
            partner=partner,
            partner_tz=zone_named(partner.timezone),
            guide=guide_rendered(guide) if guide else None,
            number=number,
            my_side="junior" if side == "mentor" else "senior",
            # The viewer's own questions first; the partner's are shown too (no secrets).
            senior_first=side == "mentee",
        )
        # The buttons the services would honour: a pair that has ended (or not started) logs
        # and moves nothing; a meeting that started or was cancelled no longer changes (the
        # cancellation itself asks only that, so an ended pair's stray meeting can still go).
        ended = bool(selectors.meeting_schedule_problem(pairing=pairing))
        changeable = not selectors.meeting_change_problem(meeting=meeting)
        context.update(
            can_log=not ended and context["started"] and not meeting.cancelled_at,
            can_move=not ended and changeable,
            can_cancel=changeable,
        )
    return render(request, "pairings/meeting_detail.html", context)
