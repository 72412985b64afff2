"""The weekly sponsor digest: once per sponsor and ISO week, aggregates only, opt-out."""

from __future__ import annotations

import logging
import re
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.utils import timezone

from feedback.models import (
    Answer,
    FeedbackCycle,
    SurveyResponse,
)
from feedback.summaries import summarize_cycles
from mentorship.frame import digest
from mentorship.frame.tasks import dispatch_sponsor_digests
from mentorship.models import DigestDelivery, Membership, Notification, Organization, Role
from mentorship.tenancy import tenant_scope
from pairings.models import Pairing
from pairings.services.session_logs import session_log_create
from programs.models import Participant, Program, ProgramSponsor
from tests.conftest import Tenant, make_tenant
from tests.factories import (
    FeedbackCycleFactory,
    MembershipFactory,
    PairingFactory,
    ParticipantFactory,
    ProgramFactory,
    QuestionFactory,
    TemplateVersionFactory,
)

# This week's Monday, 09:00 UTC: the digest is due (from 07:00). Built on the real date so rows
# stamped with the real time (created_at defaults) sit where the tests expect them.
_today = timezone.now().astimezone(UTC).date()
MONDAY = datetime.combine(_today - timedelta(days=_today.weekday()), datetime.min.time(), UTC)
MONDAY = MONDAY.replace(hour=9)
DAY = MONDAY.date()

# Names of the at-risk pair: the digest must never show them.
AT_RISK_NAMES = ("Zebedee", "Quartermaine", "Ottoline", "Featherstonehaugh")


def person(program: Program, first: str, last: str, side: str, **extra: object) -> Participant:
    return ParticipantFactory(
        program=program,
        email=f"{first.lower()}@people.test",
        first_name=first,
        last_name=last,
        side=side,
        **extra,
    )


def build_program(tenant: Tenant, name: str = "Digital Fluency", slug: str = "fluency") -> Program:
    """An active program sponsored by the tenant's sponsor: 4 people taking part (and one who
    only applied), 2 active pairs of which 1 met this month and 1 is at risk, and 3 sessions
    (3 hours) logged last week plus 1 the week before."""
    organization = tenant.organization
    with tenant.scope():
        program = ProgramFactory(
            organization=organization, slug=slug, name=name, status=Program.Status.ACTIVE
        )
        ProgramSponsor.objects.create(
            organization=organization, program=program, membership=tenant.members[Role.SPONSOR]
        )
        ada = person(program, "Ada", "Lovelace", "junior")
        bea = person(program, "Bea", "Senior", "senior", level=9)
        zeb = person(program, "Zebedee", "Quartermaine", "junior")
        ott = person(program, "Ottoline", "Featherstonehaugh", "senior", level=9)
        person(program, "Appli", "Cant", "junior", status=Participant.Status.APPLIED)
        met = PairingFactory(
            program=program,
            mentor=ada,
            mentee=bea,
            status=Pairing.Status.ACTIVE,
            last_met_at=MONDAY - timedelta(days=2),
        )
        # Never met in 40 days: at risk on the dashboard.
        PairingFactory(
            program=program,
            mentor=zeb,
            mentee=ott,
            status=Pairing.Status.ACTIVE,
            created_at=MONDAY - timedelta(days=40),
        )
        # Last week is Monday (7 days ago) to Sunday (1 day ago); 8 days ago is the week before.
        for days_ago, minutes in ((1, 60), (2, 45), (6, 75), (8, 30)):
            session_log_create(
                pairing=met,
                author=ada,
                date=DAY - timedelta(days=days_ago),
                minutes=minutes,
                confirm_duplicate=True,
            )
    return program


def add_closed_survey(tenant: Tenant, program: Program, answers: int) -> None:
    """A closed anonymous survey of this week whose first scale question averages 4.2 and whose
    NPS is 20 (with 5 answers), from ``answers`` people."""
    organization = tenant.organization
    with tenant.scope():
        version = TemplateVersionFactory(
            template__organization=organization, template__name="Check-in", number=1
        )
        likert = QuestionFactory(version=version, position=0, text="Value?", kind="likert")
        nps = QuestionFactory(version=version, position=1, text="Recommend?", kind="nps")
        cycle = FeedbackCycleFactory(
            program=program,
            version=version,
            title="Check-in",
            opens_at=MONDAY - timedelta(days=9),
            opened_at=MONDAY - timedelta(days=9),
            status=FeedbackCycle.Status.CLOSED,
            closed_at=MONDAY - timedelta(days=2),
            closed_invited=10,
            closed_answered=answers,
        )
        # Answers as people gave them; closing writes the totals and the release plan.
        for scale, recommend in list(zip((5, 5, 4, 4, 3), (9, 9, 6, 8, 8), strict=True))[:answers]:
            response = SurveyResponse.objects.create(
                organization=organization, cycle=cycle, side="junior"
            )
            for question, number in ((likert, scale), (nps, recommend)):
                Answer.objects.create(
                    organization=organization, response=response, question=question, number=number
                )
        summarize_cycles(cycle_ids=[cycle.pk])


def dispatch(tenant: Tenant, capture, now: datetime = MONDAY) -> int:
    with tenant.scope(), capture(execute=True):
        return digest.digests_dispatch(organization=tenant.organization, now=now)


def digests() -> list[mail.EmailMessage]:
    return [m for m in mail.outbox if m.subject.startswith("Weekly digest")]


def digests_to(email: str) -> list[mail.EmailMessage]:
    return [m for m in digests() if m.to == [email]]


@pytest.fixture
def program(alpha: Tenant) -> Program:
    return build_program(alpha)


# --- Exactly once ---------------------------------------------------------------------------------


def test_a_sponsor_gets_one_digest_a_week_however_often_the_dispatcher_runs(
    alpha: Tenant, program: Program, django_capture_on_commit_callbacks
) -> None:
    assert dispatch(alpha, django_capture_on_commit_callbacks) == 1
    assert dispatch(alpha, django_capture_on_commit_callbacks) == 0
    later = MONDAY + timedelta(days=2, hours=5)  # the same ISO week
    assert dispatch(alpha, django_capture_on_commit_callbacks, now=later) == 0
    assert [m.to for m in digests()] == [[alpha.sponsor.email]]
    assert digests()[0].subject == "Weekly digest: Alpha"
    with alpha.scope():
        claim = DigestDelivery.objects.get()
        assert claim.membership == alpha.members[Role.SPONSOR]
        assert claim.week == DAY  # the Monday of the ISO week
        assert claim.sent_at == MONDAY
        # The digest is also in the sponsor's inbox, once.
        assert Notification.objects.filter(recipient=alpha.sponsor).count() == 1


def test_a_dispatcher_that_listed_the_sponsor_before_the_claim_sends_nothing(
    alpha: Tenant, program: Program, django_capture_on_commit_callbacks, monkeypatch
) -> None:
    """A second dispatcher whose list was read before the first one claimed: the claim, not
    the list, stops it."""
    assert dispatch(alpha, django_capture_on_commit_callbacks) == 1
    with alpha.scope():
        stale = list(Membership.objects.filter(pk=alpha.members[Role.SPONSOR].pk))
    monkeypatch.setattr(digest, "digest_recipients", lambda *, week: stale)
    assert dispatch(alpha, django_capture_on_commit_callbacks) == 0
    with alpha.scope(), django_capture_on_commit_callbacks(execute=True):
        assert not digest.digest_send(
            organization=alpha.organization,
            membership=alpha.members[Role.SPONSOR],
            week=DAY,
            now=MONDAY + timedelta(hours=1),
        )
    assert len(digests()) == 1
    with alpha.scope():
        assert DigestDelivery.objects.get().sent_at == MONDAY  # the first claim stands


def test_an_unsent_claim_row_is_claimed_and_sent_once(
    alpha: Tenant, program: Program, django_capture_on_commit_callbacks
) -> None:
    with alpha.scope():
        DigestDelivery.objects.create(
            organization=alpha.organization, membership=alpha.members[Role.SPONSOR], week=DAY
        )
    assert dispatch(alpha, django_capture_on_commit_callbacks) == 1
    assert dispatch(alpha, django_capture_on_commit_callbacks) == 0
    assert len(digests()) == 1


def test_concurrent_dispatchers_send_one_digest(
    transactional_db: None, monkeypatch, caplog
) -> None:
    """Two dispatchers that both listed the sponsor race for the claim, each in its own thread
    and database connection: one sends, the other finds the claim."""
    alpha = make_tenant("alpha")
    build_program(alpha)
    organization = alpha.organization
    listed = digest.digest_recipients
    both_listed = threading.Barrier(2)

    def list_then_wait(*, week: date) -> list[Membership]:
        members = list(listed(week=week))
        both_listed.wait(timeout=20)
        return members

    monkeypatch.setattr(digest, "digest_recipients", list_then_wait)
    sent: list[int] = []

    def run() -> None:
        try:
            with tenant_scope(Organization.objects.get(pk=organization.pk)):
                sent.append(digest.digests_dispatch(organization=organization, now=MONDAY))
        finally:
            connection.close()

    with caplog.at_level(logging.ERROR):
        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert sorted(sent) == [0, 1]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]  # nothing swallowed
    assert [m.to for m in digests()] == [[alpha.sponsor.email]]
    with alpha.scope():
        assert DigestDelivery.objects.filter(sent_at__isnull=False).count() == 1


def test_a_new_week_sends_again(
    alpha: Tenant, program: Program, django_capture_on_commit_callbacks
) -> None:
    assert dispatch(alpha, django_capture_on_commit_callbacks) == 1
    assert dispatch(alpha, django_capture_on_commit_callbacks, now=MONDAY + timedelta(days=7)) == 1
    assert dispatch(alpha, django_capture_on_commit_callbacks, now=MONDAY + timedelta(days=8)) == 0
    assert len(digests_to(alpha.sponsor.email)) == 2
    with alpha.scope():
        weeks = sorted(DigestDelivery.objects.values_list("week", flat=True))
    assert weeks == [DAY, DAY + timedelta(days=7)]


def test_nothing_is_sent_before_monday_7_utc(
    alpha: Tenant, program: Program, django_capture_on_commit_callbacks
) -> None:
    early = MONDAY.replace(hour=6, minute=59)
    assert dispatch(alpha, django_capture_on_commit_callbacks, now=early) == 0
    assert digest.organizations_due_across_organizations(now=early) == []
    assert dispatch(alpha, django_capture_on_commit_callbacks, now=MONDAY.replace(hour=7)) == 1


def test_one_sponsors_failure_does_not_block_the_others(
    alpha: Tenant, program: Program, django_capture_on_commit_callbacks, monkeypatch, caplog
) -> None:
    second = MembershipFactory(organization=alpha.organization, is_sponsor=True)
    with alpha.scope():
        ProgramSponsor.objects.create(
            organization=alpha.organization, program=program, membership=second
        )
    compose = digest.digest_compose

    def broken_for_the_first(*, membership: Membership, **kwargs: object) -> object:
        if membership == alpha.members[Role.SPONSOR]:
            raise RuntimeError("template exploded")
        return compose(membership=membership, **kwargs)

    monkeypatch.setattr(digest, "digest_compose", broken_for_the_first)
    assert dispatch(alpha, django_capture_on_commit_callbacks) == 1
    assert [m.to for m in digests()] == [[second.user.email]]
    assert "template exploded" in caplog.text
    with alpha.scope():  # the failed claim was rolled back, so the next run retries it
        assert not DigestDelivery.objects.filter(membership=alpha.members[Role.SPONSOR]).exists()

    monkeypatch.setattr(digest, "digest_compose", compose)
    assert dispatch(alpha, django_capture_on_commit_callbacks) == 1
    assert len(digests_to(alpha.sponsor.email)) == 1
    assert len(digests_to(second.user.email)) == 1


def test_the_beat_task_sends_each_organisation_its_own_digests(
    alpha: Tenant, beta: Tenant, program: Program, django_capture_on_commit_callbacks, monkeypatch
) -> None:
    from django.conf import settings

    build_program(beta, name="Beta Bridges", slug="bridges")
    entry = settings.CELERY_BEAT_SCHEDULE["send-weekly-sponsor-digests"]
    assert entry["task"] == "mentorship.dashboards.tasks.dispatch_sponsor_digests"
    assert entry["schedule"] <= 3600
    monkeypatch.setattr("mentorship.frame.tasks.timezone.now", lambda: MONDAY)
    with django_capture_on_commit_callbacks(execute=True):
        assert dispatch_sponsor_digests.apply().get() == 2
    with django_capture_on_commit_callbacks(execute=True):
        assert dispatch_sponsor_digests.apply().get() == 0
    (to_alpha,) = digests_to(alpha.sponsor.email)
    (to_beta,) = digests_to(beta.sponsor.email)
    assert "Digital Fluency" in to_alpha.body and "Beta Bridges" not in to_alpha.body
    assert "Beta Bridges" in to_beta.body and "Digital Fluency" not in to_beta.body
    assert to_beta.subject == "Weekly digest: Beta"


# --- Who gets it ----------------------------------------------------------------------------------


def test_an_opted_out_sponsor_gets_none(
    alpha: Tenant, program: Program, django_capture_on_commit_callbacks
) -> None:
    with alpha.scope():
        digest.digest_preference_set(membership=alpha.members[Role.SPONSOR], enabled=False)
    assert dispatch(alpha, django_capture_on_commit_callbacks) == 0
    assert digests() == []
    with alpha.scope():
        assert not DigestDelivery.objects.exists()


def test_only_active_sponsors_of_a_live_program_get_one(
    alpha: Tenant, program: Program, django_capture_on_commit_callbacks
) -> None:
    """HR admins and participants who sponsor nothing, a member listed as a program's sponsor
    without the sponsor role, a removed sponsor and the sponsor of an archived program only:
    none of them get a digest."""
    organization = alpha.organization
    no_role = MembershipFactory(organization=organization, is_participant=True)
    removed = MembershipFactory(organization=organization, is_sponsor=True)
    archived_only = MembershipFactory(organization=organization, is_sponsor=True)
    with alpha.scope():
        Membership.objects.filter(pk=removed.pk).update(removed_at=MONDAY - timedelta(days=1))
        archived = ProgramFactory(
            organization=organization, slug="old", name="Old", archived_at=MONDAY
        )
        for membership, sponsored in (
            (no_role, program),
            (removed, program),
            (archived_only, archived),
        ):
            ProgramSponsor.objects.create(
                organization=organization, program=sponsored, membership=membership
            )
    assert dispatch(alpha, django_capture_on_commit_callbacks) == 1
    assert [m.to for m in digests()] == [[alpha.sponsor.email]]


def test_an_hr_admin_who_sponsors_gets_only_the_programs_they_sponsor(
    alpha: Tenant, program: Program, django_capture_on_commit_callbacks
) -> None:
    hr = alpha.members[Role.HR_ADMIN]
    with alpha.scope():
        Membership.objects.filter(pk=hr.pk).update(is_sponsor=True)
        other = ProgramFactory(organization=alpha.organization, slug="o", name="Other")
        ProgramSponsor.objects.create(organization=alpha.organization, program=other, membership=hr)
    assert dispatch(alpha, django_capture_on_commit_callbacks) == 2
    (to_hr,) = digests_to(alpha.hr.email)
    assert "Other" in to_hr.body
    assert "Digital Fluency" not in to_hr.body
    # Sponsor digests are aggregates even for an HR admin: no names of the pair at risk.
    assert not any(name in to_hr.body for name in AT_RISK_NAMES)


# --- What it says ---------------------------------------------------------------------------------


def test_the_digest_gives_the_weeks_figures_and_links_but_never_a_name(
    alpha: Tenant, program: Program, django_capture_on_commit_callbacks
) -> None:
    dispatch(alpha, django_capture_on_commit_callbacks)
    (email,) = digests()
    body = email.body
    assert "Digital Fluency (Active)" in body
    assert "People taking part: 4" in body  # the one who only applied is not counted
    assert "Active pairs: 2, of which 1 met in the last 30 days" in body
    # 60 + 45 + 75 minutes last week; the 30-minute session the week before is outside.
    assert "Sessions logged last week: 3 (3.0 hours)" in body
    assert "Pairs at risk: 1" in body
    for name in (*AT_RISK_NAMES, "Ada", "Lovelace", "Bea", "@people.test"):
        assert name not in body
        assert name not in email.subject
    assert "Latest survey" not in body  # none this week
    assert "http://testserver/o/alpha/programs/fluency/dashboard/" in body
    assert "http://testserver/o/alpha/dashboard/digest/" in body
    assert body.rstrip().endswith("Your dashboard:\n\nhttp://testserver/o/alpha/dashboard/")


@pytest.mark.parametrize(("answers", "shown"), [(4, False), (5, True)])
def test_survey_figures_appear_only_from_k_answers(
    alpha: Tenant,
    program: Program,
    django_capture_on_commit_callbacks,
    answers: int,
    shown: bool,
) -> None:
    assert alpha.organization.anonymity_threshold == 5
    add_closed_survey(alpha, program, answers)
    dispatch(alpha, django_capture_on_commit_callbacks)
    (email,) = digests()
    if shown:
        assert "satisfaction 4.2/5, NPS 20" in email.body
    else:
        assert "Latest survey" not in email.body
        assert "satisfaction" not in email.body
        assert "NPS" not in email.body


# --- The settings page ----------------------------------------------------------------------------


def settings_url(tenant: Tenant) -> str:
    return f"/o/{tenant.organization.slug}/dashboard/digest/"


def checkbox(page: str) -> str:
    (tag,) = re.findall(r'<input[^>]*name="sponsor_digest"[^>]*>', page)
    return tag


def test_a_sponsor_opts_out_and_back_in(alpha: Tenant, client_for) -> None:
    client = client_for(alpha.sponsor)
    page = client.get(settings_url(alpha)).content.decode()
    assert '<label for="id_sponsor_digest">' in page  # the checkbox has its label
    assert 'type="checkbox"' in checkbox(page) and "checked" in checkbox(page)
    assert "csrfmiddlewaretoken" in page

    response = client.post(settings_url(alpha), {}, follow=True)  # unticked: opt out
    assert response.redirect_chain == [(settings_url(alpha), 302)]
    assert "You will no longer receive the weekly digest." in response.content.decode()
    assert "checked" not in checkbox(response.content.decode())
    with alpha.scope():
        assert not Membership.objects.get(pk=alpha.members[Role.SPONSOR].pk).sponsor_digest

    response = client.post(settings_url(alpha), {"sponsor_digest": "on"}, follow=True)
    assert response.redirect_chain == [(settings_url(alpha), 302)]
    assert "You will receive the weekly digest." in response.content.decode()
    with alpha.scope():
        assert Membership.objects.get(pk=alpha.members[Role.SPONSOR].pk).sponsor_digest


def test_the_settings_form_needs_its_csrf_token(alpha: Tenant) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(alpha.sponsor)
    assert client.post(settings_url(alpha), {}).status_code == 403
    with alpha.scope():
        assert Membership.objects.get(pk=alpha.members[Role.SPONSOR].pk).sponsor_digest


@pytest.mark.parametrize("role", [Role.PARTICIPANT, Role.HR_ADMIN])
def test_the_settings_page_is_404_for_non_sponsors(alpha: Tenant, client_for, role: Role) -> None:
    client = client_for(alpha.user(role))
    assert client.get(settings_url(alpha)).status_code == 404
    assert client.post(settings_url(alpha), {}).status_code == 404
    with alpha.scope():
        assert Membership.objects.get(pk=alpha.members[role].pk).sponsor_digest


def test_an_hr_admin_who_sponsors_can_opt_out(alpha: Tenant, client_for) -> None:
    hr = alpha.members[Role.HR_ADMIN]
    with alpha.scope():
        Membership.objects.filter(pk=hr.pk).update(is_sponsor=True)
    client = client_for(alpha.hr)
    assert client.post(settings_url(alpha), {}).status_code == 302
    with alpha.scope():
        assert not Membership.objects.get(pk=hr.pk).sponsor_digest
