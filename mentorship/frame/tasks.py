"""Beat task of the frame: the weekly sponsor digest. It lives here, not in the kernel's
``mentorship.tasks``, because the digest reads the dashboards (which import the apps) and the
kernel must never import an app."""

from __future__ import annotations

import logging

from celery import shared_task
from django.utils import timezone

from mentorship.frame import digest
from mentorship.tasks import ReliableTask
from mentorship.tenancy import tenant_scope

logger = logging.getLogger(__name__)


# Named as before the frame moved: a message queued under the old name still runs.
@shared_task(base=ReliableTask, name="mentorship.dashboards.tasks.dispatch_sponsor_digests")
def dispatch_sponsor_digests() -> int:
    """Beat dispatcher (hourly): the weekly sponsor digests still due, organisation by
    organisation, each inside its scope. Every digest is claimed before it is sent, so reruns
    and overlapping runs are safe; see ``mentorship.frame.digest``."""
    now = timezone.now()
    sent = 0
    for organization in digest.organizations_due_across_organizations(now=now):
        try:
            with tenant_scope(organization):
                sent += digest.digests_dispatch(organization=organization, now=now)
        except Exception:
            # One organisation's failure must not hold up the others' Monday digests; nothing
            # of its unsent digests was claimed, so the next hourly run tries them again.
            logger.exception("Weekly digests of %s failed", organization.slug)
    return sent
