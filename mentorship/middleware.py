"""The request's organisation: resolves ``/o/<org_slug>/`` to the organisation and the viewer's
membership, and runs the view inside its scope (see ``mentorship.tenancy``).

Apart from ``tenancy`` so that the scoped base model, which every model module imports, imports
none of the services, selectors and authentication this needs.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _

from mentorship import services
from mentorship.authentication import (
    idp_second_factor_accepted,
    second_factor_redirect,
    session_passed_second_factor,
)
from mentorship.i18n import apply_organization_default
from mentorship.models import Membership
from mentorship.selectors import membership_for_request
from mentorship.tenancy import ORG_URL_KWARG, across_all_organizations, tenant_scope
from mentorship.web import client_ip

# The organisations this session has entered since its sign-in (ids): each records the entry in
# its audit log once (see :func:`_record_entry`).
ORGANIZATIONS_ENTERED_SESSION_KEY = "organizations_entered"


class TenancyMiddleware:
    """Resolve ``/o/<org_slug>/`` to an organisation and the viewer's membership.

    A missing organisation and one the user is not an active member of give the same 404, so
    slugs cannot be probed. Anonymous visitors are sent to sign in before anything is looked up.
    Where the organisation's policy asks HR admins and sponsors for a second factor, this
    session must have passed one, or signed in through the organisation's own identity provider
    where the organisation accepts that provider's second factor. The view, and the rendering
    of its templates, run inside the organisation's scope.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.organization = None  # type: ignore[attr-defined]
        request.membership = None  # type: ignore[attr-defined]
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return self.get_response(request)

        if match.app_name == "admin" or match.namespace == "admin":
            # The operator admin works across organisations by design.
            with across_all_organizations():
                return self.get_response(request)

        slug = match.kwargs.get(ORG_URL_KWARG)
        if slug is None:
            return self.get_response(request)

        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())

        membership = membership_for_request(user=request.user, org_slug=slug)
        if membership is None:
            raise Http404("No such organisation")
        # Before the second-factor gate, so that its message also speaks the organisation's
        # default language to a person with no language of their own.
        apply_organization_default(request, membership.organization)
        if (
            _second_factor_required(membership)
            # Our own factor first: it costs no query, the provider's verdict may.
            and not session_passed_second_factor(request)
            and not idp_second_factor_accepted(request, membership.organization)
        ):
            refused = second_factor_redirect(
                request,
                why=_("%(organization)s requires two-factor authentication for your role.")
                % {"organization": membership.organization.name},
            )
            if refused is not None:
                return refused
        request.organization = membership.organization  # type: ignore[attr-defined]
        request.membership = membership  # type: ignore[attr-defined]
        with tenant_scope(membership.organization):
            _record_entry(request, membership)
            return self.get_response(request)


def _second_factor_required(membership: Membership) -> bool:
    """HR admins and sponsors see everyone's data: where the organisation's policy says so, they
    get in only with a second factor."""
    if not membership.organization.mfa_required:
        return False
    return membership.is_hr_admin or membership.is_sponsor


def _record_entry(request: HttpRequest, membership: Membership) -> None:
    """The first page of an organisation a session opens writes "entered the organisation" in
    its audit log, with the address, once per session and organisation. The sign-in itself is
    the person's own record (``SignIn``): the other organisations they belong to see nothing."""
    entered = request.session.get(ORGANIZATIONS_ENTERED_SESSION_KEY, [])
    if membership.organization_id in entered:
        return
    services.audit_organization_entered(membership=membership, ip_address=client_ip(request))
    request.session[ORGANIZATIONS_ENTERED_SESSION_KEY] = [*entered, membership.organization_id]
