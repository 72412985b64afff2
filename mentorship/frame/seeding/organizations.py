"""The organisation as a whole: its two staff accounts; deleting organisations with all they
own; counting an organisation's rows."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.apps import apps
from django.db import connection, models

from mentorship import services
from mentorship.frame.seeding.context import Context
from mentorship.models import Membership, Organization, Role, User
from mentorship.tenancy import TenantModel, across_all_organizations, tenant_scope


@dataclass(frozen=True)
class Staff:
    """The HR admin and the sponsor of every program."""

    password_hash: str  # of every seeded account
    admin: Membership
    sponsor: Membership


def staff_create(ctx: Context) -> Staff:
    """The HR admin and the sponsor, and the password hash every account shares."""
    password_hash = ctx.password_hash
    slug = ctx.slug
    return Staff(
        password_hash=password_hash,
        admin=_account(
            ctx, password_hash, f"admin@{slug}.example", "Avery", "Admin", Role.HR_ADMIN
        ),
        sponsor=_account(
            ctx, password_hash, f"sponsor@{slug}.example", "Sam", "Sponsor", Role.SPONSOR
        ),
    )


def _account(
    ctx: Context, password_hash: str, email: str, first: str, last: str, role: Role
) -> Membership:
    user, _ = User.objects.update_or_create(
        email=email,
        defaults={"first_name": first, "last_name": last, "password": password_hash},
    )
    EmailAddress.objects.update_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return services.membership_grant(organization=ctx.organization, user=user, role=role)


def _tenant_models() -> list[type[models.Model]]:
    return [m for m in apps.get_models() if issubclass(m, TenantModel)]


def delete_organizations(organizations: Sequence[Organization]) -> None:
    """Delete organisations and all they own, table by table.

    The ORM's cascade would load every row into memory first (minutes at this size). Every
    tenant row carries ``organization``, so one DELETE per table does it (for up to 500
    organisations at a time); foreign keys are deferred until commit, so the order does not
    matter. Accounts under the seeded email domains go too, unless they belong to another
    organisation."""
    pks = [organization.pk for organization in organizations]
    if not pks:
        return
    domains = "|".join(re.escape(organization.slug) for organization in organizations)
    with across_all_organizations():
        users = list(
            User.objects.filter(email__iregex=rf"@({domains})\.example$")
            .exclude(memberships__organization__in=Organization.objects.exclude(pk__in=pks))
            .values_list("pk", flat=True)
        )
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            for start in range(0, len(pks), 500):
                chunk = pks[start : start + 500]
                some = f"IN ({', '.join(['%s'] * len(chunk))})"
                for model in _tenant_models():
                    table = quote(model._meta.db_table)
                    for m2m in model._meta.local_many_to_many:
                        through = m2m.remote_field.through
                        column = quote(through._meta.get_field(m2m.m2m_field_name()).column)
                        owners = f"SELECT id FROM {table} WHERE organization_id {some}"
                        cursor.execute(
                            f"DELETE FROM {quote(through._meta.db_table)} "
                            f"WHERE {column} IN ({owners})",
                            chunk,
                        )
                for model in _tenant_models():
                    table = quote(model._meta.db_table)
                    cursor.execute(f"DELETE FROM {table} WHERE organization_id {some}", chunk)
                table = quote(Organization._meta.db_table)
                cursor.execute(f"DELETE FROM {table} WHERE id {some}", chunk)
        # Few rows still point at these users now (their email addresses, mostly): the ORM
        # deletes those and clears references from other organisations as usual.
        for start in range(0, len(users), 5000):
            User.objects.filter(pk__in=users[start : start + 5000]).delete()


def table_counts(organization: Organization) -> dict[str, int]:
    """Rows per table of the organisation (its tenant tables, accounts and link tables)."""
    counts: dict[str, int] = {}
    with tenant_scope(organization):
        for model in _tenant_models():
            counts[model._meta.db_table] = model.objects.count()
            for m2m in model._meta.local_many_to_many:
                through = m2m.remote_field.through
                column = m2m.m2m_field_name()
                counts[through._meta.db_table] = through.objects.filter(
                    **{f"{column}__organization": organization}
                ).count()
    users = User.objects.filter(memberships__organization=organization)
    counts[User._meta.db_table] = users.count()
    counts[EmailAddress._meta.db_table] = EmailAddress.objects.filter(user__in=users).count()
    return dict(sorted(counts.items()))
