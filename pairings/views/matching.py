"""HR matching: run a proposal, read it, change weights, lock/remove/swap/add, publish."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from mentorship.models import Role
from mentorship.tenancy import role_required
from mentorship.web import error_text, render_page_or_partial
from pairings import selectors
from pairings.forms import PairChoiceForm, SwapForm, WeightsForm
from pairings.matching import CRITERIA, CRITERIA_LABELS
from pairings.models import MatchRun
from pairings.services import match_runs as match_run_services
from programs.models import Program
from programs.selectors import program_get_for_member

hr_only = role_required(Role.HR_ADMIN)


def _program(request: HttpRequest, program_slug: str) -> Program:
    """The program, if the viewer may see it; 404 otherwise (missing or not theirs alike)."""
    return program_get_for_member(membership=request.membership, slug=program_slug)


def _matching_page(request: HttpRequest, program: Program) -> HttpResponse:
    return redirect("matching", org_slug=request.organization.slug, program_slug=program.slug)


@require_GET
@hr_only
def matching(request: HttpRequest, org_slug: str, program_slug: str) -> HttpResponse:
    program = _program(request, program_slug)
    run = selectors.match_run_latest(program=program)
    people = selectors.matching_people(program=program)
    pairs = run.result.get("pairs", []) if run else []
    context = {
        "program": program,
        "run": run,
        "pairs": pairs,
        "unmatched": run.result.get("unmatched", []) if run else [],
        "criteria": [(c, gettext(CRITERIA_LABELS[c])) for c in CRITERIA],
        "weights_form": WeightsForm(initial_weights=run.weights if run else None),
        "juniors": [p for p in people if p.side == "junior"],
        "seniors": [p for p in people if p.side == "senior"],
        "published": selectors.program_has_pairings(program=program),
        "has_fixed": any(p.get("locked") for p in pairs),
        "improvement": (
            run.result.get("total_score", 0) - run.result.get("greedy_total_score", 0)
            if run
            else None
        ),
    }
    return render_page_or_partial(
        request, "pairings/matching.html", "pairings/_matching_result.html", context
    )


@require_POST
@hr_only
def matching_run(request: HttpRequest, org_slug: str, program_slug: str) -> HttpResponse:
    """Start a proposal, with the weights of the form (the what-if)."""
    program = _program(request, program_slug)
    latest = selectors.match_run_latest(program=program)
    form = WeightsForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Each weight is a number from 0 to 20."))
        return _matching_page(request, program)
    try:
        if latest is not None and latest.status == MatchRun.Status.DONE:
            match_run_services.match_run_edit(
                run=latest, actor=request.user, weights=form.cleaned_data
            )
        else:
            match_run_services.match_run_start(
                program=program, actor=request.user, weights=form.cleaned_data
            )
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    return _matching_page(request, program)


@require_POST
@hr_only
def matching_edit(
    request: HttpRequest, org_slug: str, program_slug: str, run_id: int
) -> HttpResponse:
    """Lock, remove, add or swap pairs: each makes a new proposal that keeps the others."""
    program = _program(request, program_slug)
    run = selectors.match_run_get(program_id=program.pk, run_id=run_id)
    action = request.POST.get("action")
    try:
        if action == "swap":
            swap = SwapForm(request.POST)
            if not swap.is_valid():
                raise ValidationError(swap.errors.get("__all__", [_("Choose two pairs to swap.")]))
            match_run_services.match_run_edit(
                run=run, actor=request.user, swap=swap.cleaned_data["pairs"]
            )
        elif action in ("lock", "remove", "add"):
            form = PairChoiceForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("Choose a junior and a senior."))
            pair = (form.cleaned_data["junior"], form.cleaned_data["senior"])
            match_run_services.match_run_edit(run=run, actor=request.user, **{action: pair})
        elif action == "publish":
            pairings = match_run_services.match_run_publish(run=run, actor=request.user)
            messages.success(
                request,
                ngettext(
                    "%(count)s pair published. Each senior is asked to confirm their pairing.",
                    "%(count)s pairs published. Each senior is asked to confirm their pairing.",
                    len(pairings),
                )
                % {"count": len(pairings)},
            )
        else:
            raise ValidationError(_("Unknown action."))
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    return _matching_page(request, program)
