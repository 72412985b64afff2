"""The pair page's quiet-pair notice: when a pending notice closes the pair, in the viewer's
time zone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django import template

from mentorship.models import Membership
from pairings import due
from pairings.models import Pairing
from pairings.selectors import viewer_timezone

register = template.Library()


@register.filter
def quiet_closes_at(pairing: Pairing) -> datetime | None:
    """When the pair closes unless a partner keeps it: ``NOTICE`` after the notice was sent
    (the inactivity pass closes it at its first check from then), or None with no notice
    pending."""
    if pairing.status != Pairing.Status.ACTIVE or pairing.quiet_notice_at is None:
        return None
    return pairing.quiet_notice_at + due.NOTICE


@register.simple_tag
def quiet_zone(pairing: Pairing, membership: Membership | None) -> ZoneInfo:
    """The zone the notice's days are shown in: a partner's own (their participant row's, the
    one the notice email used, so the page gives the day the email gave), UTC for anyone else
    (an HR admin looking)."""
    if membership is None:
        return ZoneInfo("UTC")
    return viewer_timezone(pairing=pairing, membership=membership)
