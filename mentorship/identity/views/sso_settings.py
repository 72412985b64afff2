"""Settings → Single sign-on (HR admins): the connection to the organisation's identity
provider, what its admin needs from us, the test and go-live steps, policies and the mapping.

One page, several small forms; each POST names its form (``form=saml|oidc|policies|mapping|
go_live``). Changes need a recent re-authentication (``views.reauthentication``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from mentorship.identity import saml_metadata, selectors, services
from mentorship.identity.forms import MappingForm, OidcForm, PoliciesForm, SamlForm
from mentorship.identity.mapping import MAPPING_PRESETS
from mentorship.identity.models import SingleSignOn
from mentorship.identity.views.reauthentication import (
    changes_need_reauthentication,
    reauthentication_context,
)
from mentorship.models import Role
from mentorship.tenancy import role_required
from mentorship.web import confirm_then_act, error_text, posted

Protocol = SingleSignOn.Protocol


def _service_provider_urls(provider_id: str) -> dict[str, str]:
    """What the IdP admin pastes into their console, absolute."""

    def absolute(name: str, **kwargs: str) -> str:
        try:
            return settings.SITE_URL + reverse(name, kwargs=kwargs)
        except NoReverseMatch:  # the provider's app is not installed: nothing to show
            return ""

    metadata = absolute("saml_metadata", organization_slug=provider_id)
    return {
        "entity_id": metadata,
        "metadata_url": metadata,
        "acs_url": absolute("saml_acs", organization_slug=provider_id),
        "oidc_callback_url": absolute("openid_connect_callback", provider_id=provider_id),
    }


def _connection_saved(request: HttpRequest, before: str | None) -> None:
    if before in (SingleSignOn.Status.TESTED, SingleSignOn.Status.LIVE):
        messages.warning(
            request,
            _("Connection changed: single sign-on is off until you test the connection again."),
        )
    else:
        messages.success(request, _("Connection saved. Now test it."))


def _save_saml(request: HttpRequest, sso: SingleSignOn | None, form: SamlForm) -> None:
    data = form.cleaned_data
    if data["metadata"].strip():
        services.sso_save_saml_metadata(
            organization=request.organization, actor=request.user, xml=data["metadata"]
        )
    else:
        services.sso_save_saml(
            organization=request.organization,
            actor=request.user,
            entity_id=data["entity_id"],
            sso_url=data["sso_url"],
            certificate=data["certificate"],
        )
    _connection_saved(request, sso.status if sso else None)


def _save_oidc(request: HttpRequest, sso: SingleSignOn | None, form: OidcForm) -> None:
    services.sso_save_oidc(
        organization=request.organization, actor=request.user, **form.cleaned_data
    )
    _connection_saved(request, sso.status if sso else None)


def _save_policies(request: HttpRequest, sso: SingleSignOn | None, form: PoliciesForm) -> None:
    services.sso_policies_update(sso=sso, actor=request.user, **form.cleaned_data)
    messages.success(request, _("Policies saved."))


def _save_mapping(request: HttpRequest, sso: SingleSignOn | None, form: MappingForm) -> None:
    preset = form.cleaned_data["preset"]
    mapping = form.mapping()
    if "apply_preset" in request.POST and preset in MAPPING_PRESETS:
        mapping = dict(MAPPING_PRESETS[preset])
    services.sso_mapping_update(sso=sso, actor=request.user, preset=preset, mapping=mapping)
    messages.success(request, _("Attribute mapping saved."))


def _forms(request: HttpRequest, sso: SingleSignOn | None, which: str) -> dict[str, Any]:
    """Every form of the page, the submitted one bound."""

    def bound(name: str) -> Any:
        return posted(request) if which == name else None

    secret_saved = bool(sso and sso.protocol == Protocol.OIDC and sso.client_secret_encrypted)
    is_saml = bool(sso and sso.protocol == Protocol.SAML)
    is_oidc = bool(sso and sso.protocol == Protocol.OIDC)
    found: dict[str, Any] = {
        "saml": SamlForm(
            bound("saml"),
            initial={"entity_id": sso.idp_entity_id, "sso_url": sso.idp_sso_url}
            if is_saml
            else None,
        ),
        "oidc": OidcForm(
            bound("oidc"),
            secret_saved=secret_saved,
            initial={"issuer": sso.issuer, "client_id": sso.client_id} if is_oidc else None,
        ),
    }
    if sso is not None:
        found["policies"] = PoliciesForm(
            bound("policies"),
            initial={
                "sso_only": sso.sso_only,
                "break_glass": sso.break_glass,
                "new_people": sso.new_people,
                "accept_idp_mfa": sso.accept_idp_mfa,
            },
        )
        found["mapping"] = MappingForm(
            bound("mapping"),
            initial={"preset": sso.mapping_preset, **(sso.attribute_mapping or {})},
        )
    return found


SAVERS: dict[str, Callable[[HttpRequest, SingleSignOn | None, Any], None]] = {
    "saml": _save_saml,
    "oidc": _save_oidc,
    "policies": _save_policies,
    "mapping": _save_mapping,
}


@require_http_methods(["GET", "POST"])
@role_required(Role.HR_ADMIN)
@changes_need_reauthentication
def sso_settings(request: HttpRequest, org_slug: str) -> HttpResponse:
    organization = request.organization
    sso = selectors.sso_of_organization(organization=organization)
    which = request.POST.get("form", "") if request.method == "POST" else ""
    forms = _forms(request, sso, which)
    if which == "go_live" and sso is not None:
        try:
            services.sso_go_live(sso=sso, actor=request.user)
        except ValidationError as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(request, _("Single sign-on is live."))
        return redirect("sso_settings", org_slug=org_slug)
    form = forms.get(which)
    if form is not None and form.is_valid():
        try:
            SAVERS[which](request, sso, form)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return redirect("sso_settings", org_slug=org_slug)
    shown = request.GET.get("protocol") or which or (sso.protocol if sso else Protocol.SAML)
    if shown not in Protocol.values:
        shown = Protocol.SAML
    provider_id = services.provider_id_for(organization)
    return render(
        request,
        "identity/settings/sso.html",
        {
            "sso": sso,
            "forms": forms,
            "shown_protocol": shown,
            "protocols": Protocol.choices,
            "sp": _service_provider_urls(provider_id),
            "sp_certificate": sso.sp_certificate if sso else "",
            "idp_certificate": saml_metadata.certificate_summary(sso.idp_certificate)
            if sso
            else None,
            "test": sso.test_attributes if sso else {},
            **reauthentication_context(request),
        },
    )


@require_http_methods(["GET", "POST"])
@role_required(Role.HR_ADMIN)
@changes_need_reauthentication
def sso_turn_off(request: HttpRequest, org_slug: str) -> HttpResponse:
    sso = selectors.sso_of_organization(organization=request.organization)
    if sso is None:
        raise Http404("No single sign-on")

    def turn_off() -> HttpResponse:
        services.sso_turn_off(sso=sso, actor=request.user)
        messages.success(request, _("Single sign-on is off. People sign in with their password."))
        return redirect("sso_settings", org_slug=org_slug)

    return confirm_then_act(
        request, template="identity/settings/sso_turn_off.html", context={"sso": sso}, act=turn_off
    )
