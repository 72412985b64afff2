"""The weekly sponsor digest: an email summarising, once per ISO week, the programs a sponsor
sponsors, and the sponsor's choice to receive it (on by default, opt-out).

What it shows is the sponsor's own dashboard over the last seven days, computed by the same
selector with ``named=False``: the digest can never carry a figure the dashboard would withhold
from a sponsor (no names, survey figures only from k answers). The email may be forwarded; that
is one more reason for it to hold aggregates only, even when the sponsor is also an HR admin.

When: from Monday 07:00 UTC. Organisations have no timezone of their own, so the send time is
the same instant everywhere; the beat dispatcher runs hourly, so digests leave between 07:00 and
08:00 UTC, or on the next run after an outage, any day of that same week. A week whose digest
could not go out at all before the next Monday 07:00 is skipped rather than sent stale.

Exactly once: a ``DigestDelivery`` row per membership and week is the idempotency key. It is
created or found and then claimed with a compare-and-set on ``sent_at`` in the transaction that
writes the digest's notification; the email itself goes out after commit through the kernel's
notification machinery (its own claim on ``Notification.emailed_at``). A rerun, a concurrent
dispatcher or a retry finds the claim and stops. One sponsor's failure rolls back that sponsor's
claim only: the others are sent, and the failed one is tried again on the next run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from feedback.anonymity import effective_k
from mentorship import services as kernel
from mentorship.frame.dashboards import Dashboard, Filters, dashboard, dashboard_programs
from mentorship.i18n import recipient_language
from mentorship.models import DigestDelivery, Membership, Organization
from mentorship.tenancy import across_all_organizations
from mentorship.web import absolute_url
from programs.models import Program, ProgramSponsor

logger = logging.getLogger(__name__)

SEND_FROM = time(7, 0)  # on the Monday of each ISO week, in UTC (see the module docstring)


def digest_week(now: datetime) -> date | None:
    """The Monday of ``now``'s ISO week when that week's digest is due, else None (a Monday
    before 07:00 UTC: last week's digest is no longer sent, this week's not yet)."""
    now = now.astimezone(UTC)
    monday = now.date() - timedelta(days=now.weekday())
    return monday if now >= datetime.combine(monday, SEND_FROM, tzinfo=UTC) else None


def _live_sponsorships() -> QuerySet[ProgramSponsor]:
    return ProgramSponsor.objects.filter(program__archived_at__isnull=True)


def _sent(week: date) -> QuerySet[DigestDelivery]:
    return DigestDelivery.objects.filter(week=week, sent_at__isnull=False)


def digest_recipients(*, week: date) -> QuerySet[Membership]:
    """Sponsors of at least one non-archived program who still want the digest and have not
    had this week's. The exclusion only saves work; the claim is what guarantees once."""
    return (
        Membership.objects.filter(
            is_sponsor=True,
            removed_at__isnull=True,
            sponsor_digest=True,
            # A deactivated account cannot sign in to the dashboard the email points to.
            user__is_active=True,
        )
        .filter(Exists(_live_sponsorships().filter(membership=OuterRef("pk"))))
        .exclude(Exists(_sent(week).filter(membership=OuterRef("pk"))))
        .select_related("user")
        .order_by("pk")
    )


def organizations_due_across_organizations(*, now: datetime) -> list[Organization]:
    """Organisations with a digest still to send this week (for the beat dispatcher): one query
    across every tenant, so the hourly tick costs nothing outside Monday mornings."""
    week = digest_week(now)
    if week is None:
        return []
    with across_all_organizations():
        due = digest_recipients(week=week).values("organization_id")
        return list(Organization.objects.filter(pk__in=due).order_by("pk"))


@dataclass
class ProgramDigest:
    program: Program
    board: Dashboard
    url: str


def _sponsored_programs(membership: Membership) -> QuerySet[Program]:
    """The programs this member sponsors, within what their dashboard shows them. An HR admin's
    dashboard shows every program; their digest still covers only the ones they sponsor."""
    return (
        dashboard_programs(membership=membership)
        .filter(pk__in=_live_sponsorships().filter(membership=membership).values("program_id"))
        .order_by("name", "pk")
    )


def digest_compose(
    *,
    organization: Organization,
    membership: Membership,
    now: datetime,
    boards: dict[tuple[int, str], Dashboard] | None = None,
) -> tuple[str, str, str] | None:
    """The digest's subject, plain-text body and in-app link (the organisation's dashboard),
    or None when the member sponsors no live program any more. Written in the sponsor's
    language (their setting, their browser's, the organisation's default).

    ``boards`` caches one program's figures across the sponsors of a dispatch pass: they do
    not depend on who reads them (``named`` is always False here), only their labels on the
    reader's language, hence one entry per program and language.
    """
    boards = {} if boards is None else boards
    with recipient_language(membership.user, organization) as language:
        return _digest_compose(
            organization=organization,
            membership=membership,
            now=now,
            boards=boards,
            language=language,
        )


def _digest_compose(
    *,
    organization: Organization,
    membership: Membership,
    now: datetime,
    boards: dict[tuple[int, str], Dashboard],
    language: str,
) -> tuple[str, str, str] | None:
    # The last whole ISO week, Monday to Sunday: complete by Monday 07:00, never overlapping
    # the previous digest, and exactly the weekly totals the dashboards keep.
    this_monday = now.astimezone(UTC).date() - timedelta(days=now.astimezone(UTC).weekday())
    filters = Filters(start=this_monday - timedelta(weeks=1), end=this_monday - timedelta(days=1))
    slug = organization.slug
    programs = []
    for program in _sponsored_programs(membership):
        key = (program.pk, language)
        if key not in boards:
            boards[key] = dashboard(
                program_ids=[program.pk],
                filters=filters,
                k=organization.anonymity_threshold,
                named=False,
                now=now,
            )
        url = reverse("program_dashboard", kwargs={"org_slug": slug, "program_slug": program.slug})
        programs.append(ProgramDigest(program=program, board=boards[key], url=absolute_url(url)))
    if not programs:
        return None
    body = render_to_string(
        "mentorship/email/sponsor_digest.txt",
        {
            "organization": organization,
            "filters": filters,
            "programs": programs,
            "k": effective_k(organization.anonymity_threshold),
            "settings_url": absolute_url(reverse("digest_settings", kwargs={"org_slug": slug})),
        },
    ).strip()
    # The body ends with "Your dashboard:"; the notification's email appends this link made
    # absolute (notification_email_deliver), and the inbox shows it as its "Open" button.
    dashboard_url = reverse("organization_dashboard", kwargs={"org_slug": slug})
    subject = _("Weekly digest: %(organization)s") % {"organization": organization.name}
    return subject, body, dashboard_url


def digest_send(
    *,
    organization: Organization,
    membership: Membership,
    week: date,
    now: datetime,
    boards: dict[tuple[int, str], Dashboard] | None = None,
) -> bool:
    """Claim this member's digest of ``week`` and write it to their inbox, its email leaving
    after commit. Returns whether this call sent it (False: someone else had claimed it)."""
    with transaction.atomic():
        claim, _created = DigestDelivery.objects.get_or_create(
            organization=organization, membership=membership, week=week
        )
        # The compare-and-set is the claim. A concurrent dispatcher blocks on the row (or on the
        # unique index while it is being inserted) until this transaction ends, then updates
        # nothing because ``sent_at`` is no longer empty.
        claimed = DigestDelivery.objects.filter(pk=claim.pk, sent_at__isnull=True).update(
            sent_at=now
        )
        if claimed != 1:
            return False
        # Composed inside the claim: a failure rolls the claim back with it, so the next run
        # tries again, and no work is spent on a digest another dispatcher already holds.
        composed = digest_compose(
            organization=organization, membership=membership, now=now, boards=boards
        )
        if composed is None:
            # Their last program was archived (or sponsorship ended) since the list was read:
            # nothing to summarise, and no claim left behind either.
            transaction.set_rollback(True)
            return False
        subject, body, url = composed
        kernel.notification_send(
            organization=organization,
            recipient=membership.user,
            subject=subject,
            body=body,
            url=url,
        )
    return True


def digests_dispatch(*, organization: Organization, now: datetime | None = None) -> int:
    """Send this week's digest to every sponsor of the organisation who is due one. Safe to run
    any number of times, concurrently too. Runs inside the organisation's scope. Returns how
    many this call sent."""
    now = now or timezone.now()
    week = digest_week(now)
    if week is None:
        return 0
    boards: dict[tuple[int, str], Dashboard] = {}
    sent = 0
    for membership in digest_recipients(week=week):
        try:
            sent += digest_send(
                organization=organization, membership=membership, week=week, now=now, boards=boards
            )
        except Exception:
            # One sponsor's broken digest must not cost the others theirs. Nothing was claimed
            # (the transaction rolled back), so the next hourly run tries this one again.
            logger.exception(
                "Weekly digest of membership %s in %s failed; retried on the next run",
                membership.pk,
                organization.slug,
            )
    return sent


def digest_preference_set(*, membership: Membership, enabled: bool) -> Membership:
    """Turn the member's weekly digest on or off. Not audited: it concerns their inbox only."""
    if membership.sponsor_digest != enabled:
        membership.sponsor_digest = enabled
        membership.save(update_fields=["sponsor_digest"])
    return membership
