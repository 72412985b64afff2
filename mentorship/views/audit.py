"""The organisation's audit log (HR admins)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from mentorship import selectors
from mentorship.dbrouting import reads_from_replica
from mentorship.forms import (
    AuditFilterForm,
)
from mentorship.models import Role
from mentorship.tenancy import role_required
from mentorship.web import paginate, querystring_without_page


@require_GET
@reads_from_replica
@role_required(Role.HR_ADMIN)
def audit_log(request: HttpRequest, org_slug: str) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    action = form.cleaned_data.get("action", "") if form.is_valid() else ""
    page = paginate(request, selectors.audit_events(action=action), per_page=50)
    return render(
        request,
        "mentorship/audit_log.html",
        {"form": form, "page": page, "querystring": querystring_without_page(request)},
    )
