"""The Celery app. Configuration comes from Django settings (``CELERY_*``)."""

import os
from pathlib import Path

from celery import Celery
from kombu.transport import TRANSPORT_ALIASES

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mentorship.settings")

# The embedded broker (``filesystem://``, when no REDIS_URL is set) is kombu's filesystem
# transport made to write each file whole (see mentorship.broker). The URL still decides: a
# ``redis://`` URL uses Redis.
TRANSPORT_ALIASES["filesystem"] = "mentorship.broker:Transport"

# DjangoTask gives every task ``delay_on_commit``: work is enqueued only once the data it
# needs is committed, so a worker never wakes up to a row that does not exist yet.
app = Celery("mentorship", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _create_filesystem_broker_folder(sender: Celery, **_: object) -> None:
    """The embedded broker keeps messages as files; its folder must exist before first use."""
    options = sender.conf.broker_transport_options or {}
    if str(sender.conf.broker_url).startswith("filesystem"):
        for key in ("data_folder_in", "control_folder"):
            if options.get(key):
                Path(options[key]).mkdir(parents=True, exist_ok=True)
