"""Fail-closed tenancy: the scoped base model, the scope context, the middleware, role checks.

Every tenant-owned model subclasses :class:`TenantModel`. Its default manager is django-scopes'
``ScopedManager``: a query made while no organisation scope is active raises ``ScopeError``
instead of returning every tenant's rows. Requests under ``/o/<org_slug>/`` run inside their
organisation's scope (see :class:`TenancyMiddleware`); Celery tasks inside theirs (see
``mentorship.tasks.TenantTask``).

The one deliberate escape is :func:`across_all_organizations`, named so that it stands out in
review. It belongs in migrations, the operator admin, and dispatchers that iterate over
organisations on purpose.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from django_scopes import ScopedManager, scope, scopes_disabled

if TYPE_CHECKING:
    from mentorship.models import Membership, Organization, Role

ORG_URL_KWARG = "org_slug"
# The organisations this session has entered since its sign-in (ids): each records the entry in
# its audit log once (see :func:`_record_entry`).
ORGANIZATIONS_ENTERED_SESSION_KEY = "organizations_entered"


class TenantModel(models.Model):
    """Base of every row an organisation owns: a non-null organisation and a scoped manager."""

    organization = models.ForeignKey(
        "mentorship.Organization", on_delete=models.CASCADE, related_name="+"
    )

    objects = ScopedManager(organization="organization")

    class Meta:
        abstract = True


@contextmanager
def tenant_scope(organization: Organization) -> Iterator[None]:
    """Run the body with queries on tenant models limited to ``organization``.

    django-scopes treats ``None`` as "no filter"; refusing it here keeps a missing organisation
    from silently widening the scope to every tenant.
    """
    if organization is None or organization.pk is None:
        raise ValueError("tenant_scope needs a saved organisation")
    with scope(organization=organization.pk):
        yield


# The named escape hatch. Grep for it when reviewing tenancy.
across_all_organizations = scopes_disabled


class TenancyMiddleware:
    """Resolve ``/o/<org_slug>/`` to an organisation and the viewer's membership.

    A missing organisation and one the user is not an active member of give the same 404, so
    slugs cannot be probed. Anonymous visitors are sent to sign in before anything is looked up.
    Where the organisation's policy asks HR admins and sponsors for a second factor, this
    session must have passed one. The view, and the rendering of its templates, run inside the
    organisation's scope.
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
            # Imported here: auth views import the user model, which imports this module.
            from django.contrib.auth.views import redirect_to_login

            return redirect_to_login(request.get_full_path())

        from mentorship.selectors import membership_for_request

        membership = membership_for_request(user=request.user, org_slug=slug)
        if membership is None:
            raise Http404("No such organisation")
        if _second_factor_required(membership):
            from mentorship.authentication import second_factor_redirect

            refused = second_factor_redirect(
                request,
                why=f"{membership.organization.name} requires two-factor authentication for "
                "your role.",
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
    from mentorship import services
    from mentorship.web import client_ip

    services.audit_organization_entered(membership=membership, ip_address=client_ip(request))
    request.session[ORGANIZATIONS_ENTERED_SESSION_KEY] = [*entered, membership.organization_id]


def role_required(
    *roles: Role,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Allow the view to members holding at least one of ``roles``; 404 otherwise.

    A 404 rather than a 403, as for objects: a page the viewer may not use answers like one that
    does not exist, so probing URLs tells nothing. Cross-tenant requests never get here.
    """

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
            membership: Membership | None = getattr(request, "membership", None)
            if membership is None:
                raise Http404("No such organisation")
            if roles and not any(membership.has_role(role) for role in roles):
                raise Http404("Not available to this role")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


member_required = role_required()
