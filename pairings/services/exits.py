"""A partner's confidential, no-fault request to end their pair (HR dissolves it, see
``pairings.services.pairs``)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from mentorship import services as kernel
from mentorship.models import Membership
from mentorship.web import tenant_url
from pairings.models import Pairing
from pairings.selectors import EXIT_FIELDS, EXIT_NOTE, LIVE_STATUSES, pairing_side_of
from pairings.services.pairs import event_record


def pairing_request_exit(*, pairing: Pairing, membership: Membership, note: str = "") -> Pairing:
    """A confidential, no-fault exit request: HR admins are told; the partner is not, and the
    pair carries on as it was (meetings, reminders) until HR dissolves it. Each side has its own
    request, so the second partner to ask is recorded too and never learns of the first; the
    compare-and-set makes a repeated or double-submitted request a no-op that says so."""
    side = pairing_side_of(pairing=pairing, membership=membership)
    if not side:
        raise ValidationError("Only the two partners can ask to end the pairing.")
    field = EXIT_FIELDS[side]
    with transaction.atomic():
        # Not updated_at, and no webhook event: nothing the API shows changes, and a pair
        # "updated" with no visible change would tell an API client that someone asked to leave.
        claimed = Pairing.objects.filter(
            pk=pairing.pk, status__in=LIVE_STATUSES, **{f"{field}__isnull": True}
        ).update(**{field: timezone.now()})
        pairing.refresh_from_db(fields=["status", *EXIT_FIELDS.values()])
        if not claimed and getattr(pairing, field):
            raise ValidationError("You already asked to end this pairing; HR will be in touch.")
        if not claimed:
            raise ValidationError("This pairing is not running.")
        event_record(
            pairing,
            membership.user,
            note=f"{EXIT_NOTE} {note}".strip()[:500],
            confidential=True,
        )
        both = pairing.mentor_exit_requested_at and pairing.mentee_exit_requested_at
        # Never to the partners themselves, HR admins though they may be: the request is
        # confidential from the other partner.
        kernel.notify_hr_admins(
            organization=pairing.organization,
            subject=f"A pair in {pairing.program.name} asks to end",
            body=(
                "Both partners have now asked, each in confidence, for a no-fault exit."
                if both
                else "One partner asked, in confidence, for a no-fault exit."
            )
            + " Open the pair to dissolve it and, if you wish, pair them again.",
            url=tenant_url(pairing.organization, "pair_detail", pairing_id=pairing.pk),
            except_memberships=[
                p.membership_id for p in (pairing.mentor, pairing.mentee) if p.membership_id
            ],
        )
    return pairing
