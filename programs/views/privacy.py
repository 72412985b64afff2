"""A participant's personal data, for HR admins: the export of everything held, and erasure."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from mentorship.models import Role
from mentorship.tenancy import role_required
from programs import privacy, selectors
from programs.views._common import program_for

hr_only = role_required(Role.HR_ADMIN)


@require_GET
@hr_only
def participant_export(
    request: HttpRequest, org_slug: str, program_slug: str, participant_id: int
) -> HttpResponse:
    program = program_for(request, program_slug)
    participant = selectors.participant_get(program=program, participant_id=participant_id)
    data = privacy.participant_data_export(participant=participant, actor=request.user)
    body = json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="participant-{participant.pk}-personal-data.json"'
    )
    return response


@require_http_methods(["GET", "POST"])
@hr_only
def participant_erase(
    request: HttpRequest, org_slug: str, program_slug: str, participant_id: int
) -> HttpResponse:
    """GET explains what erasure removes and keeps; POST erases."""
    program = program_for(request, program_slug)
    participant = selectors.participant_get(program=program, participant_id=participant_id)
    error = ""
    if request.method == "POST":
        try:
            privacy.participant_erase(participant=participant, actor=request.user)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(
                request,
                f"The personal data of participant #{participant.pk} was erased. "
                "The figures they counted in are unchanged.",
            )
            return redirect(
                "participant_detail",
                org_slug=request.organization.slug,
                program_slug=program.slug,
                participant_id=participant.pk,
            )
    return render(
        request,
        "programs/participant_erase.html",
        {
            "program": program,
            "participant": participant,
            "erased": privacy.participant_is_erased(participant),
            "blockers": privacy.participant_erase_blockers(participant),
            "error": error,
        },
    )
