"""Foreign keys of a large seed checked once, table by table, instead of row by row at commit.

Django makes foreign keys deferrable: PostgreSQL queues a check per new row and runs them all
at commit. For 100,000 participants that is tens of millions of lookups, each locking the row
it finds, and the queue alone takes hundreds of megabytes in the server: the commit took
longer (291 s) than writing the rows. A superuser may turn those row triggers off for the
transaction (``session_replication_role``, what replication and restores use); the seed then
checks every foreign key itself with one anti-join per key, before committing, and a row
pointing nowhere still stops the seed with nothing written. Without superuser rights (a managed
database) nothing changes: the rows are checked at commit as before.
"""

from __future__ import annotations

from django.apps import apps
from django.db import connection, models

from mentorship.tenancy import TenantModel


def row_checks_off() -> bool:
    """Turn off, until the end of the transaction, the triggers that check each new row's
    foreign keys, where the database allows it. Returns whether it did; then
    :func:`foreign_keys_check` must run before the commit."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        row = cursor.fetchone()
        if not (row and row[0]):
            return False
        cursor.execute("SET LOCAL session_replication_role = replica")
    return True


class DanglingForeignKey(Exception):
    """A row refers to a row that does not exist."""


def foreign_keys_check(*, organization_ids: list[int]) -> int:
    """Check that every foreign key of the tenant rows of these organisations, and of the
    tables without a tenant (accounts, link tables), points at a row. Raises
    :class:`DanglingForeignKey` naming the first that does not. Returns the keys checked."""
    quote = connection.ops.quote_name
    mine = f"organization_id IN ({', '.join(['%s'] * len(organization_ids))})"
    checked = 0
    with connection.cursor() as cursor:
        for model in apps.get_models(include_auto_created=True):
            if not model._meta.managed or model._meta.proxy:
                continue
            tenant = issubclass(model, TenantModel)
            child = quote(model._meta.db_table)
            for field in model._meta.concrete_fields:
                if not (isinstance(field, models.ForeignKey) and field.db_constraint):
                    continue
                column, target = quote(field.column), field.target_field
                parent = quote(target.model._meta.db_table)
                sql = (
                    f"SELECT c.{column} FROM {child} c WHERE c.{column} IS NOT NULL AND NOT "
                    f"EXISTS (SELECT 1 FROM {parent} p WHERE p.{quote(target.column)} = "
                    f"c.{column})"
                )
                params: list[int] = []
                if tenant:
                    sql, params = f"{sql} AND c.{mine}", organization_ids
                cursor.execute(f"{sql} LIMIT 1", params)
                row = cursor.fetchone()
                if row is not None:
                    raise DanglingForeignKey(
                        f"{model._meta.db_table}.{field.column} = {row[0]} points at no row of "
                        f"{target.model._meta.db_table}."
                    )
                checked += 1
    return checked
