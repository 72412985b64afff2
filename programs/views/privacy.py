"""A participant's personal data: for HR admins, the export of everything they may read and
erasure; for every member, the export of everything held about themselves."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from mentorship.models import Role
from mentorship.tenancy import member_required, role_required
from mentorship.web import confirm_then_act
from programs import privacy, selectors
from programs.views._common import program_for

hr_only = role_required(Role.HR_ADMIN)


def _json_download(data: dict[str, Any], filename: str) -> HttpResponse:
    body = json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
@hr_only
def participant_export(
    request: HttpRequest, org_slug: str, program_slug: str, participant_id: int
) -> HttpResponse:
    program = program_for(request, program_slug)
    participant = selectors.participant_get(program=program, participant_id=participant_id)
    data = privacy.participant_data_export(participant=participant, actor=request.user)
    return _json_download(data, f"participant-{participant.pk}-personal-data.json")


@require_GET
@member_required
def my_personal_data(request: HttpRequest, org_slug: str) -> HttpResponse:
    """The signed-in member's own data in this organisation. It takes no id: the person is the
    membership the middleware resolved, so nobody can ask for someone else's."""
    data = privacy.member_data_export(membership=request.membership)
    return _json_download(data, f"{request.organization.slug}-my-personal-data.json")


@require_http_methods(["GET", "POST"])
@hr_only
def participant_erase(
    request: HttpRequest, org_slug: str, program_slug: str, participant_id: int
) -> HttpResponse:
    """GET explains what erasure removes and keeps; POST erases."""
    program = program_for(request, program_slug)
    participant = selectors.participant_get(program=program, participant_id=participant_id)

    def erase() -> HttpResponse:
        privacy.participant_erase(participant=participant, actor=request.user)
        messages.success(
            request,
            _(
                "The personal data of participant #%(id)s was erased. "
                "The figures they counted in are unchanged."
            )
            % {"id": participant.pk},
        )
        return redirect(
            "participant_detail",
            org_slug=request.organization.slug,
            program_slug=program.slug,
            participant_id=participant.pk,
        )

    return confirm_then_act(
        request,
        template="programs/participant_erase.html",
        context={
            "program": program,
            "participant": participant,
            "erased": privacy.participant_is_erased(participant),
            "blockers": privacy.participant_erase_blockers(participant),
        },
        act=erase,
    )
