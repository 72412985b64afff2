"""Feeds of members removed before removal deleted them (issue 12) would serve again if that
person were invited back: delete them now, as removal does from now on."""

from django.apps.registry import Apps as StateApps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor


def delete_stale_feeds(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    CalendarFeed = apps.get_model("pairings", "CalendarFeed")
    CalendarFeed.objects.filter(membership__removed_at__isnull=False).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("pairings", "0004_exit_request_per_partner"),
        ("mentorship", "0007_department_changed_audit"),
    ]

    operations = [migrations.RunPython(delete_stale_feeds, migrations.RunPython.noop)]
