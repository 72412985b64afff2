"""A participant's weekly availability: the accessible grid (one labelled checkbox per half
hour, a fieldset per day), quick actions, the time zone and the note."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods

from mentorship.tenancy import member_required
from mentorship.web import posted
from programs import selectors
from programs.availability_forms import (
    ADD,
    CLEAR,
    COPY_MONDAY,
    SAVE,
    AvailabilityForm,
    summary_for_people,
)
from programs.models import Participant, Program
from programs.services.availability import participant_availability_set
from programs.views._common import program_for

ACTION_MESSAGES = {
    COPY_MONDAY: gettext_lazy("Monday's hours are copied to Tuesday–Friday."),
    ADD: gettext_lazy("The hours are added."),
    CLEAR: gettext_lazy(
        "Every box of the grid is cleared; hours outside it stay listed below the grid."
    ),
}


def _own_participation(request: HttpRequest, program: Program) -> Participant:
    """The viewer's own place in the program, while they take part (else 404)."""
    participant = selectors.participant_of_member(program=program, membership=request.membership)
    if participant is None or participant.status not in selectors.ACTIVE_PARTICIPANT_STATUSES:
        raise Http404("You are not in this program")
    return participant


@require_http_methods(["GET", "POST"])
@member_required
def my_availability(request: HttpRequest, org_slug: str, program_slug: str) -> HttpResponse:
    program = program_for(request, program_slug)
    participant = _own_participation(request, program)
    form = AvailabilityForm.for_participant(participant, posted(request))
    notice = ""
    if request.method == "POST" and form.is_valid():
        action = form.cleaned_data["action"]
        if action != SAVE:
            form = form.shown_again(form.ranges_after_action())
            # Translators: %(done)s is what the quick action did, e.g. "The hours are added."
            notice = _("%(done)s Press “Save” to keep them.") % {"done": ACTION_MESSAGES[action]}
        else:
            try:
                changed = participant_availability_set(
                    participant=participant,
                    ranges=form.ranges(),
                    timezone=form.cleaned_data["timezone"],
                    note=form.cleaned_data["availability"],
                    apply_to_all=form.cleaned_data["apply_to_all"],
                )
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            else:
                others = len(changed) - 1
                if others:
                    text = ngettext(
                        "Availability saved, here and in %(count)s other program.",
                        "Availability saved, here and in %(count)s other programs.",
                        others,
                    ) % {"count": others}
                else:
                    text = _("Availability saved.")
                messages.success(request, text)
                return redirect(
                    "my_availability", org_slug=request.organization.slug, program_slug=program.slug
                )
    return render(
        request,
        "programs/availability.html",
        {
            "program": program,
            "participant": participant,
            "form": form,
            "days": form.days(),
            "notice": notice,
            "saved_summary": summary_for_people(participant.weekly_availability or []),
            "others": selectors.live_participations(participant=participant),
        },
    )
