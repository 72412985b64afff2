"""Fail-closed tenancy: the scoped base model, the scope context, role checks.

Every tenant-owned model subclasses :class:`TenantModel`. Its default manager is django-scopes'
``ScopedManager``: a query made while no organisation scope is active raises ``ScopeError``
instead of returning every tenant's rows. Requests under ``/o/<org_slug>/`` run inside their
organisation's scope (see ``mentorship.middleware.TenancyMiddleware``); Celery tasks inside
theirs (see ``mentorship.tasks.TenantTask``).

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
from django_scopes import ScopedManager, scope, scopes_disabled

if TYPE_CHECKING:
    from mentorship.models import Membership, Organization, Role

ORG_URL_KWARG = "org_slug"


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
