"""Members of the organisation: the directory, roles, removal (HR admins)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from mentorship import selectors, services
from mentorship.dbrouting import reads_from_replica
from mentorship.forms import (
    MemberFilterForm,
    MemberRolesForm,
)
from mentorship.models import Role
from mentorship.tenancy import role_required
from mentorship.web import (
    confirm_then_act,
    paginate,
    posted,
    querystring_without_page,
    render_page_or_partial,
)


@require_GET
@reads_from_replica
@role_required(Role.HR_ADMIN)
def members(request: HttpRequest, org_slug: str) -> HttpResponse:
    form = MemberFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    page = paginate(
        request, selectors.members_list(role=filters.get("role", ""), query=filters.get("q", ""))
    )
    context = {"form": form, "page": page, "querystring": querystring_without_page(request)}
    return render_page_or_partial(
        request, "mentorship/members.html", "mentorship/_members_table.html", context
    )


@require_http_methods(["GET", "POST"])
@role_required(Role.HR_ADMIN)
def member_edit(request: HttpRequest, org_slug: str, membership_id: int) -> HttpResponse:
    membership = selectors.membership_get(membership_id=membership_id)
    form = MemberRolesForm(posted(request), initial={"roles": [r.value for r in membership.roles]})
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_set_roles(
                membership=membership, roles=form.cleaned_data["roles"], actor=request.user
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request, _("Roles of %(name)s saved.") % {"name": membership.user.display_name}
            )
            return redirect("members", org_slug=org_slug)
    return render(request, "mentorship/member_edit.html", {"member": membership, "form": form})


@require_http_methods(["GET", "POST"])
@role_required(Role.HR_ADMIN)
def member_remove(request: HttpRequest, org_slug: str, membership_id: int) -> HttpResponse:
    membership = selectors.membership_get(membership_id=membership_id)

    def remove() -> HttpResponse:
        services.membership_remove(membership=membership, actor=request.user)
        messages.success(
            request,
            _("%(name)s was removed. Their history is kept.")
            % {"name": membership.user.display_name},
        )
        return redirect("members", org_slug=org_slug)

    return confirm_then_act(
        request,
        template="mentorship/member_remove.html",
        context={"member": membership},
        act=remove,
    )
