"""Settings → Provisioning (HR admins): the SCIM endpoint's address, its bearer tokens, and the
directory's groups mapped to roles."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from mentorship.identity import settings_selectors
from mentorship.identity.forms import GroupRoleForm, ScimTokenForm
from mentorship.identity.scim.services import scim_group_set_role
from mentorship.identity.tokens import scim_token_create, scim_token_revoke
from mentorship.identity.views.reauthentication import (
    changes_need_reauthentication,
    reauthentication_context,
    reauthentication_redirect,
)
from mentorship.models import Role
from mentorship.tenancy import role_required
from mentorship.web import confirm_then_act, error_text, paginate, posted


@never_cache
@require_http_methods(["GET", "POST"])
@role_required(Role.HR_ADMIN)
@changes_need_reauthentication
def provisioning(request: HttpRequest, org_slug: str) -> HttpResponse:
    organization = request.organization
    form = ScimTokenForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            token, plain = scim_token_create(
                organization=organization, name=form.cleaned_data["name"], actor=request.user
            )
        except ValidationError as exc:
            form.add_error("name", exc)
        else:
            # The answer to the POST itself, never a page that can be fetched again: the
            # secret exists only here (the database keeps its hash).
            return render(
                request,
                "identity/settings/token_created.html",
                {"token": token, "plain": plain, "scim_base_url": _scim_base_url()},
            )
    return render(
        request,
        "identity/settings/provisioning.html",
        {
            "form": form,
            **reauthentication_context(request),
            "scim_base_url": _scim_base_url(),
            "tokens": settings_selectors.scim_tokens_list(organization=organization),
            # A directory may push thousands of groups: a page at a time, like other lists.
            "page": paginate(
                request,
                settings_selectors.scim_groups_list(organization=organization).order_by(
                    "display_name", "id"
                ),
            ),
            "role_choices": GroupRoleForm.base_fields["role"].choices,
        },
    )


def _scim_base_url() -> str:
    return settings.SITE_URL + "/scim/v2/"


@require_http_methods(["GET", "POST"])
@role_required(Role.HR_ADMIN)
def scim_token_revoke_view(request: HttpRequest, org_slug: str, token_id: int) -> HttpResponse:
    token = settings_selectors.scim_token_get(token_id=token_id)
    confirm = reauthentication_redirect(request)
    if confirm is not None:
        return confirm

    def revoke() -> HttpResponse:
        scim_token_revoke(token=token, actor=request.user)
        messages.success(
            request,
            _("The token “%(name)s” is revoked: it stopped working.") % {"name": token.name},
        )
        return redirect("provisioning", org_slug=org_slug)

    return confirm_then_act(
        request,
        template="identity/settings/token_revoke.html",
        context={"token": token},
        act=revoke,
    )


@require_POST
@role_required(Role.HR_ADMIN)
def scim_group_role(request: HttpRequest, org_slug: str, group_id: int) -> HttpResponse:
    group = settings_selectors.scim_group_get(group_id=group_id)
    confirm = reauthentication_redirect(request)
    if confirm is not None:
        return confirm
    form = GroupRoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a role from the list."))
    else:
        try:
            scim_group_set_role(group=group, role=form.cleaned_data["role"], actor=request.user)
        except ValidationError as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(
                request,
                _("Role of the group “%(group)s” saved.") % {"group": group.display_name},
            )
    return redirect("provisioning", org_slug=org_slug)
