"""Confidential concerns: participants raise them; HR admins alone read and resolve them."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from feedback import selectors
from feedback.forms import ConcernForm
from feedback.services import concerns as concern_services
from mentorship.dbrouting import reads_from_replica
from mentorship.models import Role
from mentorship.tenancy import member_required, role_required
from mentorship.web import paginate, posted


@require_http_methods(["GET", "POST"])
@member_required
def concern_new(request: HttpRequest, org_slug: str) -> HttpResponse:
    form = ConcernForm(posted(request), membership=request.membership)
    if not form.fields["participation"].queryset.exists():
        raise Http404("Only participants raise concerns")
    if request.method == "POST" and form.is_valid():
        try:
            concern_services.concern_raise(
                participant=form.cleaned_data["participation"],
                kind=form.cleaned_data["kind"],
                text=form.cleaned_data["text"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Your concern reached the HR admins, in confidence."))
            return redirect("org_home", org_slug=org_slug)
    return render(request, "feedback/concern_new.html", {"form": form})


@require_http_methods(["GET"])
@reads_from_replica
@role_required(Role.HR_ADMIN)
def concerns(request: HttpRequest, org_slug: str) -> HttpResponse:
    page = paginate(request, selectors.concerns_for_hr())
    return render(request, "feedback/concerns.html", {"page": page})


@require_POST
@role_required(Role.HR_ADMIN)
def concern_resolve(request: HttpRequest, org_slug: str, concern_id: int) -> HttpResponse:
    concern = selectors.concern_get(concern_id=concern_id)
    concern_services.concern_resolve(concern=concern)
    messages.success(request, _("Marked as resolved."))
    return redirect("concerns", org_slug=org_slug)
