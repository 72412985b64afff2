"""Answering a survey from the link in its invitation, or right after a session log."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from feedback import selectors
from feedback.forms import SurveyForm
from feedback.services import after_session as after_session_services
from feedback.services import responses as response_services
from mentorship.tenancy import member_required
from mentorship.web import posted
from pairings import selectors as pairing_selectors


@never_cache
@require_http_methods(["GET", "POST"])
@member_required
def survey_answer(request: HttpRequest, org_slug: str, survey_id: int) -> HttpResponse:
    invitation = selectors.invitation_get_for_member(
        membership=request.membership, invitation_id=survey_id
    )
    problem = selectors.survey_problem(invitation=invitation)
    questions = selectors.version_questions(version=invitation.cycle.version)
    topics = selectors.objective_topic_names(participant=invitation.participant)
    form = SurveyForm(posted(request), questions=questions, topics=topics)
    if request.method == "POST" and not problem and form.is_valid():
        try:
            response_services.response_submit(
                invitation=invitation, answers=form.answers(), actor=request.user
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Thank you! Your answers are saved."))
            return redirect("org_home", org_slug=org_slug)
    return render(
        request,
        "feedback/survey_answer.html",
        {"invitation": invitation, "cycle": invitation.cycle, "form": form, "problem": problem},
    )


@require_http_methods(["GET"])
@member_required
def after_session(request: HttpRequest, org_slug: str, pairing_id: int) -> HttpResponse:
    """Where a session log leads: the short survey to offer now, if any."""
    pairing = pairing_selectors.pairing_get_for_member(
        membership=request.membership, pairing_id=pairing_id
    )
    side = pairing_selectors.pairing_side_of(pairing=pairing, membership=request.membership)
    if not side:
        raise Http404("Only the partners log sessions")
    invitation = after_session_services.after_session_invitation(
        participant=getattr(pairing, side), pairing=pairing
    )
    if invitation is None:
        return redirect("session_list", org_slug=org_slug, pairing_id=pairing.pk)
    return redirect("survey_answer", org_slug=org_slug, survey_id=invitation.pk)
