"""Sign-ins written into every organisation by earlier versions (issue 12) move to the person's
own record: one SignIn per sign-in (the copies in each organisation were written a moment apart),
and the organisations' copies go. An organisation keeps only that someone entered it, from now on.
"""

from datetime import datetime, timedelta

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

SUCCEEDED, FAILED = "login_succeeded", "login_failed"
FAILED_SUFFIX = " failed to sign in"


def move(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    AuditEvent = apps.get_model("mentorship", "AuditEvent")
    SignIn = apps.get_model("mentorship", "SignIn")
    User = apps.get_model("mentorship", "User")
    events = AuditEvent.objects.filter(action__in=(SUCCEEDED, FAILED)).order_by("created_at")
    users = {u.email.lower(): u.pk for u in User.objects.only("pk", "email")}
    # The copies of one sign-in were written a moment apart, one per organisation.
    last: dict[tuple[int, bool, str | None], datetime] = {}
    rows = []
    for event in events.iterator():
        succeeded = event.action == SUCCEEDED
        user_id = event.actor_id
        if user_id is None and event.summary.endswith(FAILED_SUFFIX):
            user_id = users.get(event.summary[: -len(FAILED_SUFFIX)].strip().lower())
        if user_id is None:
            continue
        key = (user_id, succeeded, event.ip_address)
        if key in last and event.created_at - last[key] < timedelta(seconds=2):
            continue
        last[key] = event.created_at
        rows.append(
            SignIn(
                user_id=user_id,
                at=event.created_at,
                succeeded=succeeded,
                method="other",
                ip_address=event.ip_address,
            )
        )
    SignIn.objects.bulk_create(rows, batch_size=1000)
    events.delete()


class Migration(migrations.Migration):
    dependencies = [("mentorship", "0007_department_changed_audit")]

    operations = [migrations.RunPython(move, migrations.RunPython.noop)]
