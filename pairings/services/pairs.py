"""Writes of a pair's life: the senior's confirmation, the agreement, activation, dissolving.

Everything runs inside the organisation's scope. Pairs are created by publishing a match run
(``pairings.services.match_runs``); a partner's confidential exit request is in
``pairings.services.exits``.
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mentorship import services as kernel
from mentorship.events.models import EventType
from mentorship.i18n import recipient_language
from mentorship.models import AuditEvent, Membership, User
from mentorship.web import tenant_url
from pairings.models import Pairing, PairingEvent
from pairings.selectors import LIVE_STATUSES
from pairings.services.meetings import meetings_cancel_upcoming
from pairings.services.webhooks import pairs_emit
from programs.models import Participant
from programs.services.webhooks import participants_emit
from programs.tallies import tally_track


def event_record(
    pairing: Pairing, actor: User | None, note: str = "", confidential: bool = False
) -> None:
    """A line of the pair's history, with the status it has now."""
    PairingEvent.objects.create(
        organization=pairing.organization,
        pairing=pairing,
        status=pairing.status,
        actor=actor,
        note=note,
        confidential=confidential,
    )


def _emit(pairing: Pairing, event_type: EventType) -> None:
    pairs_emit(organization=pairing.organization, event_type=event_type, pairing_ids=[pairing.pk])


def _activate_if_ready(pairing: Pairing, actor: User) -> Pairing:
    """A pair goes live once the senior confirmed and both accepted the agreement (compare-and-
    set, so two partners acting at the same moment activate it once)."""
    pairing.refresh_from_db(fields=["status", "mentor_accepted_at", "mentee_accepted_at"])
    if pairing.mentor_accepted_at and pairing.mentee_accepted_at:
        moved = Pairing.objects.filter(pk=pairing.pk, status=Pairing.Status.CONFIRMED).update(
            status=Pairing.Status.ACTIVE, updated_at=timezone.now()
        )
        if moved:
            pairing.status = Pairing.Status.ACTIVE
            event_record(pairing, actor)
            _emit(pairing, EventType.PAIRING_ACTIVE)
    return pairing


def pairing_confirm(*, pairing: Pairing, membership: Membership, confirm: bool) -> Pairing:
    """The senior confirms (or declines) the proposed pairing before it goes live."""
    if pairing.mentee.membership_id != membership.pk:
        raise ValidationError(_("Only the senior of the pair confirms it."))
    with tally_track([pairing.mentor_id, pairing.mentee_id]):
        new = Pairing.Status.CONFIRMED if confirm else Pairing.Status.DECLINED
        moved = Pairing.objects.filter(pk=pairing.pk, status=Pairing.Status.PROPOSED).update(
            status=new, updated_at=timezone.now()
        )
        if not moved:
            raise ValidationError(_("This pairing is not waiting for confirmation."))
        pairing.status = new
        event_record(pairing, membership.user)
        partner = pairing.mentor.membership
        if not confirm:
            _release(pairing)
        # A declined pair will not go ahead: for receivers it has ended (its status says how).
        _emit(pairing, EventType.PAIRING_CONFIRMED if confirm else EventType.PAIRING_ENDED)
        if partner is not None and partner.is_active:
            with recipient_language(partner.user, pairing.organization):
                if confirm:
                    subject = _("%(name)s confirmed your pairing") % {
                        "name": pairing.mentee.full_name
                    }
                    body = _(
                        "Accept the program's agreement, if you have not yet, and schedule your "
                        "first session."
                    )
                else:
                    subject = _("Your proposed pairing in %(program)s will not go ahead") % {
                        "program": pairing.program.name
                    }
                    body = _("HR admins will look for another partner for you.")
            kernel.notification_send(
                organization=pairing.organization,
                recipient=partner.user,
                subject=subject,
                body=body,
                url=tenant_url(pairing.organization, "pair_detail", pairing_id=pairing.pk),
            )
        return _activate_if_ready(pairing, membership.user) if confirm else pairing


def pairing_accept_agreement(*, pairing: Pairing, membership: Membership) -> Pairing:
    """Each side accepts the program's agreement; with both, a confirmed pair becomes active.
    Only the acting side's field is written, so two acceptances at once both count."""
    if pairing.mentor.membership_id == membership.pk:
        field = "mentor_accepted_at"
    elif pairing.mentee.membership_id == membership.pk:
        field = "mentee_accepted_at"
    else:
        raise ValidationError(_("Only the two partners accept the agreement."))
    with tally_track([pairing.mentor_id, pairing.mentee_id]):
        Pairing.objects.filter(
            pk=pairing.pk,
            status__in=(Pairing.Status.PROPOSED, Pairing.Status.CONFIRMED),
            **{f"{field}__isnull": True},
        ).update(**{field: timezone.now(), "updated_at": timezone.now()})
        pairing.refresh_from_db(fields=["status", "mentor_accepted_at", "mentee_accepted_at"])
        if not getattr(pairing, field):
            raise ValidationError(_("The agreement is accepted before the pairing starts."))
        return _activate_if_ready(pairing, membership.user)


def _release(pairing: Pairing) -> None:
    """The two people are free for matching again unless they have other live pairs."""
    released = []
    for participant_id in (pairing.mentor_id, pairing.mentee_id):
        still = (
            Pairing.objects.filter(status__in=LIVE_STATUSES)
            .exclude(pk=pairing.pk)
            .filter(program=pairing.program)
            .filter(Q(mentor_id=participant_id) | Q(mentee_id=participant_id))
            .exists()
        )
        if not still and Participant.objects.filter(pk=participant_id, matched=True).update(
            matched=False, updated_at=timezone.now()
        ):
            released.append(participant_id)
    # "matched" is part of what the API shows of a participant.
    participants_emit(
        organization=pairing.organization,
        event_type=EventType.PARTICIPANT_UPDATED,
        participant_ids=released,
    )


# Lazy: each partner reads them in their own language. Keep {program} as it is.
DISSOLVED_SUBJECT = gettext_lazy("Your pairing in {program} has ended")
DISSOLVED_BODY = gettext_lazy(
    "HR admins ended the pairing, with no fault on anyone. Upcoming meetings were cancelled. "
    "HR may propose a new partner."
)


def pairing_dissolve(
    *,
    pairing: Pairing,
    actor: User | None,
    note: str = "",
    end_reason: str = "",
    subject: str | Promise = DISSOLVED_SUBJECT,
    body: str | Promise = DISSOLVED_BODY,
    notice_at: datetime | None = None,
) -> Pairing:
    """End a pair with no fault on anyone: both people are free for matching again, its future
    meetings are cancelled (with calendar cancellations), both partners are told, and the pair's
    history stays. ``actor`` None is the program itself (a quiet pair closed for inactivity,
    ``end_reason`` "inactivity"); ``subject`` (with ``{program}``) and ``body`` are what the
    partners read (lazy translations: each partner reads them in their own language).

    The status moves by compare-and-set: two ends at once (an HR admin and the inactivity
    pass) end the pair once, the second is refused.

    With ``notice_at`` (the inactivity pass closing a quiet pair on the notice it read), the
    compare-and-set also wants the pair still active with that very notice pending: a partner
    who kept the pair, planned a meeting or logged a session since (each withdraws the notice)
    wins, and the pair is returned as it is, still active, with nothing cancelled, told,
    audited or emitted."""
    ended = (Pairing.Status.DISSOLVED, Pairing.Status.DECLINED)
    if pairing.status in ended:
        raise ValidationError(_("This pairing has already ended."))
    with tally_track([pairing.mentor_id, pairing.mentee_id]):
        rows = Pairing.objects.filter(pk=pairing.pk).exclude(status__in=ended)
        if notice_at is not None:
            rows = rows.filter(status=Pairing.Status.ACTIVE, quiet_notice_at=notice_at)
        moved = rows.update(
            status=Pairing.Status.DISSOLVED, end_reason=end_reason, updated_at=timezone.now()
        )
        if not moved:
            live = Pairing.objects.filter(pk=pairing.pk).exclude(status__in=ended)
            if notice_at is not None and live.exists():
                return pairing  # the notice was withdrawn meanwhile: the pair goes on
            raise ValidationError(_("This pairing has already ended."))
        pairing.status, pairing.end_reason = Pairing.Status.DISSOLVED, end_reason
        _release(pairing)
        event_record(pairing, actor, note=note[:500])
        _emit(pairing, EventType.PAIRING_ENDED)
        meetings_cancel_upcoming(pairing=pairing, actor=actor)
        for person in (pairing.mentor, pairing.mentee):
            if person.membership is not None and person.membership.is_active:
                with recipient_language(person.membership.user, pairing.organization):
                    told = str(subject).format(program=pairing.program.name), str(body)
                kernel.notification_send(
                    organization=pairing.organization,
                    recipient=person.membership.user,
                    subject=told[0],
                    body=told[1],
                    url=tenant_url(pairing.organization, "my_pairs"),
                )
        kernel.audit_record(
            organization=pairing.organization,
            action=AuditEvent.Action.PAIRING_DISSOLVED,
            summary=f"Pair {pairing.mentor.email} / {pairing.mentee.email} dissolved"
            + (f" ({end_reason})" if end_reason else ""),
            actor=actor,
        )
    return pairing
