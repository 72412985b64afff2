"""Quiet pairs closed kindly (``Program.close_quiet_after_days``): a partner keeps the pair after
the 7-day notice, or the program closes it as a no-fault exit.

The notice itself, and when a pair is closed, are the inactivity pass's (``pairings.reminders``
with the arithmetic of ``pairings.due``); these are the two writes it and the pair page need.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop, ngettext

from mentorship import selectors as kernel_selectors
from mentorship import services as kernel
from mentorship.i18n import recipient_language
from mentorship.models import Membership
from mentorship.web import tenant_url
from pairings import reminders
from pairings.models import Pairing
from pairings.selectors import pairing_side_of, partners_with_accounts
from pairings.services.pairs import event_record, pairing_dissolve

# Stored in English in the pair's history; the pair page shows it translated
# (pairings.templatetags.pair_tags.event_note).
# Translators: a line of a pair's history: a partner kept the pair after the notice it would close.
KEPT_NOTE = gettext_noop("Kept after the inactivity notice")
END_REASON = "inactivity"
# Lazy: each partner reads it in their own language. Keep {program} as it is.
CLOSED_SUBJECT = gettext_lazy("Your pairing in {program} has closed")


def _closed_body(days: int) -> str:
    """What both partners read of their pair closed (in the active language)."""
    return ngettext(
        "You had not met for %(days)s day, so the program has closed your pairing, as its "
        "agreement allows: a no-fault exit, nobody's blame. Your sessions and notes stay yours "
        "to read, and HR admins may propose a new partner.",
        "You had not met for %(days)s days, so the program has closed your pairing, as its "
        "agreement allows: a no-fault exit, nobody's blame. Your sessions and notes stay yours "
        "to read, and HR admins may propose a new partner.",
        days,
    ) % {"days": days}


_closed_body_lazy = lazy(_closed_body, str)


def closed_note(days: int) -> str:
    """The line the pair's history (and page) shows of a pair the program closed. Stored in
    English; the pair page recognises it and shows it translated, with its number
    (pairings.templatetags.pair_tags.event_note): keep the two in step."""
    return f"Closed after {days} days without a meeting"


def pairing_keep(*, pairing: Pairing, membership: Membership) -> Pairing:
    """A partner keeps their pair after the notice that it would close: a new quiet stretch
    starts now (``kept_at`` counts as activity), the notice is withdrawn, the other partner is
    told. Refused for anyone but the two partners, and when no notice is pending.

    Compare-and-set on the pending notice: two clicks (both partners at once, or a double
    submit) keep the pair once; the second finds no notice and is told the pair is kept."""
    if not pairing_side_of(pairing=pairing, membership=membership):
        raise ValidationError(_("Only the two partners can keep their pair."))
    now = timezone.now()
    with transaction.atomic():
        kept = Pairing.objects.filter(
            pk=pairing.pk, status=Pairing.Status.ACTIVE, quiet_notice_at__isnull=False
        ).update(kept_at=now, quiet_notice_at=None, updated_at=now)
        if not kept:
            raise ValidationError(_("This pair is not waiting to be kept: nothing will close it."))
        pairing.kept_at, pairing.quiet_notice_at = now, None
        # The next stretch is looked at when it could first be quiet (one UPDATE).
        reminders.quiet_check_rearm(pairing=pairing, after_meeting_at=now)
        event_record(pairing, membership.user, note=KEPT_NOTE)
        for _participant, user in partners_with_accounts(pairing):
            if user.pk == membership.user_id:
                continue
            with recipient_language(user, pairing.organization):
                subject = _("%(name)s kept your pair") % {"name": membership.user.display_name}
                body = _("Your pairing stays open. Find a time for your next session.")
            kernel.notification_send(
                organization=pairing.organization,
                recipient=user,
                subject=subject,
                body=body,
                url=tenant_url(pairing.organization, "find_time", pairing_id=pairing.pk),
            )
    return pairing


def pairing_close_for_inactivity(
    *,
    pairing: Pairing,
    now: datetime,
    quiet_since: datetime | None = None,
    notice_at: datetime | None = None,
) -> Pairing:
    """The program closes a pair that stayed quiet after its notice: a no-fault exit through
    the dissolve path (people released, future meetings cancelled with calendar cancellations,
    the webhook event, history kept), ``end_reason`` "inactivity", no one as its actor. Both
    partners are told kindly; HR admins are told; the audit log records it.

    ``quiet_since`` (the last activity) gives the days the history line counts; without it,
    the pair's last meeting or its start. Raises ValidationError if the pair has already ended
    (another pass, an HR admin, got there first).

    ``notice_at`` is the notice the inactivity pass read: the pair closes only while that notice
    is still pending (compare-and-set, see ``pairing_dissolve``). A partner who kept the pair,
    planned a meeting or logged a session while the pass ran wins: the pair is returned still
    active, and no one is told anything."""
    if pairing.status != Pairing.Status.ACTIVE:
        raise ValidationError(_("Only an active pair is closed for inactivity."))
    since = quiet_since or pairing.last_met_at or pairing.created_at
    days = max((now - since) // timedelta(days=1), 0)
    with transaction.atomic():
        pairing = pairing_dissolve(
            pairing=pairing,
            notice_at=notice_at,
            actor=None,
            note=closed_note(days),
            end_reason=END_REASON,
            subject=CLOSED_SUBJECT,
            body=_closed_body_lazy(days),
        )
        if pairing.status != Pairing.Status.DISSOLVED:
            return pairing
        for hr in kernel_selectors.hr_admins():
            with recipient_language(hr.user, pairing.organization):
                subject = _("A quiet pair in %(program)s was closed") % {
                    "program": pairing.program.name
                }
                body = ngettext(
                    "%(mentor)s and %(mentee)s had not met for %(days)s day and did not keep "
                    "their pair after the 7-day notice. Both can be matched again.",
                    "%(mentor)s and %(mentee)s had not met for %(days)s days and did not keep "
                    "their pair after the 7-day notice. Both can be matched again.",
                    days,
                ) % {
                    "mentor": pairing.mentor.full_name,
                    "mentee": pairing.mentee.full_name,
                    "days": days,
                }
            kernel.notification_send(
                organization=pairing.organization,
                recipient=hr.user,
                subject=subject,
                body=body,
                url=tenant_url(pairing.organization, "pair_detail", pairing_id=pairing.pk),
            )
    return pairing
