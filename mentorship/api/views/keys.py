"""Settings → API keys (HR admins): the organisation's keys, each shown once when made,
revoked after a confirmation, with its last use."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from mentorship.api import selectors
from mentorship.api.forms import APIKeyForm
from mentorship.api.services import api_key_create, api_key_revoke
from mentorship.identity.views.reauthentication import (
    changes_need_reauthentication,
    reauthentication_context,
    reauthentication_redirect,
)
from mentorship.models import Role
from mentorship.tenancy import role_required
from mentorship.web import confirm_then_act, posted


@never_cache
@require_http_methods(["GET", "POST"])
@role_required(Role.HR_ADMIN)
@changes_need_reauthentication
def api_keys(request: HttpRequest, org_slug: str) -> HttpResponse:
    organization = request.organization
    form = APIKeyForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            key, plain = api_key_create(
                organization=organization,
                name=form.cleaned_data["name"],
                can_write=form.can_write,
                expires_on=form.cleaned_data["expires_on"],
                actor=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            # The answer to the POST itself, never a page that can be fetched again: the
            # secret exists only here (the database keeps its hash).
            return render(
                request,
                "api/key_created.html",
                {"key": key, "plain": plain, **_api_addresses()},
            )
    return render(
        request,
        "api/keys.html",
        {
            "form": form,
            **reauthentication_context(request),
            "keys": selectors.api_keys_for_organization(organization=organization),
            **_api_addresses(),
        },
    )


def _api_addresses() -> dict[str, str]:
    return {
        "api_base_url": settings.SITE_URL + "/api/v1/",
        "api_docs_url": settings.SITE_URL + reverse("api_docs"),
    }


@require_http_methods(["GET", "POST"])
@role_required(Role.HR_ADMIN)
def api_key_revoke_view(request: HttpRequest, org_slug: str, prefix: str) -> HttpResponse:
    key = selectors.api_key_get(organization=request.organization, prefix=prefix)
    if key is None:
        raise Http404("No such API key")
    # After the fetch: another organisation's key answers 404 whether or not the session
    # confirmed recently.
    confirm = reauthentication_redirect(request)
    if confirm is not None:
        return confirm
    if key.revoked:
        # A second click, or a second tab: nothing left to do, and nothing to confirm.
        messages.info(
            request, _("The API key “%(name)s” was already revoked.") % {"name": key.name}
        )
        return redirect("api_keys", org_slug=org_slug)

    def revoke() -> HttpResponse:
        api_key_revoke(key=key, actor=request.user)
        messages.success(
            request,
            _("The API key “%(name)s” is revoked: it stopped working.") % {"name": key.name},
        )
        return redirect("api_keys", org_slug=org_slug)

    return confirm_then_act(
        request, template="api/key_revoke.html", context={"key": key}, act=revoke
    )
