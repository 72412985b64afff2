"""Session logs: either partner logs; notes stay with the pair (private notes with the author);
HR admins see the dates, lengths and topics only."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from mentorship.tenancy import member_required
from mentorship.web import posted
from pairings import selectors
from pairings.forms import SessionLogForm
from pairings.models import Pairing
from pairings.services.session_logs import LikelyDuplicate, session_log_create
from programs.models import Participant


def _partner_participant(request: HttpRequest, pairing: Pairing) -> Participant:
    side = selectors.pairing_side_of(pairing=pairing, membership=request.membership)
    if not side:
        raise Http404("Only the partners log sessions")
    return pairing.mentor if side == "mentor" else pairing.mentee


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
    form = SessionLogForm(posted(request), objectives=objectives)
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
            )
        except LikelyDuplicate as exc:
            form.show_duplicate_confirmation()
            form.add_error(None, exc)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Session logged. Thank you!")
            # The feedback app offers its short survey there (a URL name, not an import:
            # pairings sits below feedback).
            return redirect("after_session", org_slug=org_slug, pairing_id=pairing.pk)
    return render(request, "pairings/session_form.html", {"pairing": pairing, "form": form})
