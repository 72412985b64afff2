"""A partner's confidential, no-fault request to end their pair (HR dissolves it, see
``pairings.services.pairs``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise, lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from mentorship import services as kernel
from mentorship.models import Membership
from mentorship.web import tenant_url
from pairings.models import Pairing
from pairings.selectors import EXIT_FIELDS, EXIT_NOTE, LIVE_STATUSES, pairing_side_of
from pairings.services.pairs import event_record

# The exit request's note starts with EXIT_NOTE, stored in English (the selectors find the notes
# by it); marked here so the pair page shows it translated (pairings.templatetags.pair_tags).
# Translators: the start of the note a partner's exit request leaves in the pair's history.
gettext_noop("Exit requested.")


def _exit_subject(program: str) -> str:
    return _("A pair in %(program)s asks to end") % {"program": program}


def _exit_body(both: bool) -> str:
    if both:
        return _(
            "Both partners have now asked, each in confidence, for a no-fault exit. Open the "
            "pair to dissolve it and, if you wish, pair them again."
        )
    return _(
        "One partner asked, in confidence, for a no-fault exit. Open the pair to dissolve it "
        "and, if you wish, pair them again."
    )


def _lazy_text(compose: Callable[[Any], str], value: Any) -> Promise:
    """``compose(value)``, written when it is read: in each recipient's language."""
    return lazy(compose, str)(value)


def pairing_request_exit(*, pairing: Pairing, membership: Membership, note: str = "") -> Pairing:
    """A confidential, no-fault exit request: HR admins are told; the partner is not, and the
    pair carries on as it was (meetings, reminders) until HR dissolves it. Each side has its own
    request, so the second partner to ask is recorded too and never learns of the first; the
    compare-and-set makes a repeated or double-submitted request a no-op that says so."""
    side = pairing_side_of(pairing=pairing, membership=membership)
    if not side:
        raise ValidationError(_("Only the two partners can ask to end the pairing."))
    field = EXIT_FIELDS[side]
    with transaction.atomic():
        # Not updated_at, and no webhook event: nothing the API shows changes, and a pair
        # "updated" with no visible change would tell an API client that someone asked to leave.
        claimed = Pairing.objects.filter(
            pk=pairing.pk, status__in=LIVE_STATUSES, **{f"{field}__isnull": True}
        ).update(**{field: timezone.now()})
        pairing.refresh_from_db(fields=["status", *EXIT_FIELDS.values()])
        if not claimed and getattr(pairing, field):
            raise ValidationError(_("You already asked to end this pairing; HR will be in touch."))
        if not claimed:
            raise ValidationError(_("This pairing is not running."))
        event_record(
            pairing,
            membership.user,
            note=f"{EXIT_NOTE} {note}".strip()[:500],
            confidential=True,
        )
        both = pairing.mentor_exit_requested_at and pairing.mentee_exit_requested_at
        # Never to the partners themselves, HR admins though they may be: the request is
        # confidential from the other partner.
        # Lazy: each HR admin reads them in their own language.
        kernel.notify_hr_admins(
            organization=pairing.organization,
            subject=_lazy_text(_exit_subject, pairing.program.name),
            body=_lazy_text(_exit_body, bool(both)),
            url=tenant_url(pairing.organization, "pair_detail", pairing_id=pairing.pk),
            except_memberships=[
                p.membership_id for p in (pairing.mentor, pairing.mentee) if p.membership_id
            ],
        )
    return pairing
