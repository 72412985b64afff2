"""The pair page's quiet-pair notice: when a pending notice closes the pair."""

from __future__ import annotations

from datetime import datetime

from django import template

from pairings import due
from pairings.models import Pairing

register = template.Library()


@register.filter
def quiet_closes_at(pairing: Pairing) -> datetime | None:
    """When the pair closes unless a partner keeps it: ``NOTICE`` after the notice was sent
    (the inactivity pass closes it at its first check from then), or None with no notice
    pending."""
    if pairing.status != Pairing.Status.ACTIVE or pairing.quiet_notice_at is None:
        return None
    return pairing.quiet_notice_at + due.NOTICE
