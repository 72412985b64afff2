"""Coverage of translation in what the product sends: each kind of email and notification,
composed in the pseudo-language, shows no text outside the ⟦…⟧ markers but data.

Each test triggers one kind through the same services and tasks the product uses (and the
other tests use), with the after-commit callbacks run so the emails really go. Checked: the
subject, the text body line by line, HTML alternatives (their visible text), calendar files
(SUMMARY and DESCRIPTION) and the in-app notification's subject and body.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from mentorship.models import Notification, Role
from tests.conftest import Tenant
from tests.events.conftest import private_networks, receiver  # noqa: F401 (fixtures)
from tests.i18n.checks import stored_strings, unmarked
from tests.i18n.pseudo import pseudo_language, text_lines, visible_texts

pytestmark = pytest.mark.django_db


def _ics_texts(ics: str) -> list[str]:
    """SUMMARY and DESCRIPTION of a calendar file, unfolded and unescaped."""
    unfolded = re.sub(r"\r?\n[ \t]", "", ics)
    texts = []
    for line in unfolded.splitlines():
        name, _, value = line.partition(":")
        if name.split(";")[0] in ("SUMMARY", "DESCRIPTION"):
            value = value.replace("\\n", "\n").replace("\\,", ",").replace("\\;", ";")
            texts += text_lines(value.replace("\\\\", "\\"))
    return texts


def message_texts(message: mail.EmailMessage) -> dict[str, list[str]]:
    parts: dict[str, list[str]] = {
        "subject": [message.subject],
        "body": text_lines(str(message.body)),
    }
    for content, kind in getattr(message, "alternatives", []) or []:
        if kind == "text/html":
            parts["html"] = visible_texts(str(content))
    for attachment in message.attachments:
        if hasattr(attachment, "get_content_type"):  # a MIME part (meeting invitations)
            kind, content = attachment.get_content_type(), attachment.get_payload(decode=True)
            content = content.decode() if isinstance(content, bytes) else str(content)
        else:
            _name, content, kind = attachment
            content = content.decode() if isinstance(content, bytes) else str(content)
        if kind and kind.startswith("text/calendar"):
            parts["ics"] = _ics_texts(content)
    return parts


def problems_in(messages: list[mail.EmailMessage], typed: tuple[str, ...] = ()) -> list[str]:
    # The notifications these emails carry are no data: their text is what is checked.
    data = stored_strings(exclude=(Notification,)) | set(typed)
    found = []
    for message in messages:
        for part, texts in message_texts(message).items():
            for text in unmarked(texts, data):
                found.append(f"{message.subject!r} [{part}]: {text!r}")
    return found


def notification_problems(tenant: Tenant, typed: tuple[str, ...] = ()) -> list[str]:
    """In-app notifications (the inbox shows subject and body): stored in the recipient's
    language, so their text must be wrapped too. Checked against the data stored in every other
    table, and ``typed``: what a person typed that is stored nowhere else (a decline's note)."""
    with tenant.scope():
        rows = list(Notification.objects.values_list("subject", "body"))
    with tenant.scope():
        data = stored_strings(exclude=(Notification,)) | set(typed)
    found = []
    for subject, body in rows:
        for text in unmarked([subject, *text_lines(body)], data):
            found.append(f"notification {subject!r}: {text!r}")
    return found


def assert_translated(
    messages: list[mail.EmailMessage], *, at_least: int = 1, typed: tuple[str, ...] = ()
) -> None:
    assert len(messages) >= at_least, [m.subject for m in messages]
    problems = problems_in(messages, typed)
    assert not problems, "unmarked text in sent messages:\n" + "\n".join(problems)


# Invitations ------------------------------------------------------------------------------------


def test_invitation_email(alpha: Tenant, django_capture_on_commit_callbacks) -> None:
    from mentorship import services

    with pseudo_language(), alpha.scope(), django_capture_on_commit_callbacks(execute=True):
        services.invitation_create(
            organization=alpha.organization,
            email="new.person@example.com",
            role=Role.PARTICIPANT,
            invited_by=alpha.hr,
        )
    assert_translated([m for m in mail.outbox if "new.person@example.com" in m.to])


def test_invitation_email_of_a_participant_added_by_import(
    alpha: Tenant, django_capture_on_commit_callbacks
) -> None:
    """Added with no inviter (an import, provisioning): the email names "an HR admin"."""
    from programs.models import Program
    from programs.services.participants import participant_add
    from tests.factories import ProgramFactory

    with alpha.scope():
        program = ProgramFactory(
            organization=alpha.organization, status=Program.Status.ENROLLING, name="Open"
        )
    with pseudo_language(), alpha.scope(), django_capture_on_commit_callbacks(execute=True):
        participant_add(
            program=program,
            email="imported@example.com",
            invited_by=None,
            first_name="Ima",
            last_name="Imported",
            side="junior",
        )
    assert_translated([m for m in mail.outbox if "imported@example.com" in m.to])


# Meetings ---------------------------------------------------------------------------------------


def _pair(alpha: Tenant):
    from tests.pairings.conftest import active_pair, matching_program

    program = matching_program.__wrapped__(alpha)
    return active_pair(alpha, program)


def test_meeting_invitation_update_and_cancellation_with_calendar_files(
    alpha: Tenant, django_capture_on_commit_callbacks
) -> None:
    from pairings.services import meetings

    pair = _pair(alpha)
    year = timezone.now().year + 1
    with pseudo_language(), alpha.scope():
        with django_capture_on_commit_callbacks(execute=True):
            meeting = meetings.meeting_schedule(
                pairing=pair,
                starts_at=datetime(year, 6, 4, 9, tzinfo=UTC),
                duration_minutes=60,
                location="Room 4",
                actor=alpha.participant,
            )
        with django_capture_on_commit_callbacks(execute=True):
            meetings.meeting_reschedule(
                meeting=meeting,
                starts_at=datetime(year, 6, 5, 9, tzinfo=UTC),
                duration_minutes=60,
                location="Room 4",
                actor=alpha.participant,
            )
        meeting.refresh_from_db()
        with django_capture_on_commit_callbacks(execute=True):
            meetings.meeting_cancel(meeting=meeting, actor=alpha.participant)
    with_ics = [m for m in mail.outbox if "ics" in message_texts(m)]
    assert len(with_ics) >= 3, [m.subject for m in mail.outbox]
    assert_translated(mail.outbox, at_least=3)
    assert not notification_problems(alpha), notification_problems(alpha)


def test_meeting_reminders_and_log_prompts(
    alpha: Tenant, django_capture_on_commit_callbacks
) -> None:
    from pairings.tasks import send_due_reminders
    from tests.factories import MeetingFactory

    pair = _pair(alpha)
    now = timezone.now()
    with alpha.scope():
        MeetingFactory(pairing=pair, starts_at=now + timedelta(minutes=50))  # a reminder
        MeetingFactory(pairing=pair, starts_at=now - timedelta(hours=2))  # a prompt to log it
    with pseudo_language(), django_capture_on_commit_callbacks(execute=True):
        send_due_reminders.apply(kwargs={"organization_id": alpha.organization.pk})
    assert_translated(mail.outbox, at_least=2)
    assert not notification_problems(alpha), notification_problems(alpha)


# Surveys ----------------------------------------------------------------------------------------


def test_check_in_survey_invitations(alpha: Tenant, django_capture_on_commit_callbacks) -> None:
    from feedback.models import SurveyTemplate
    from feedback.services.cycles import cycle_create, cycles_dispatch
    from feedback.services.templates import templates_ensure_builtin

    pair = _pair(alpha)
    with alpha.scope():
        templates_ensure_builtin(organization=alpha.organization)
        from programs.models import Program

        Program.objects.filter(pk=pair.program_id).update(status=Program.Status.ACTIVE)
        cycle_create(
            program=pair.program,
            template=SurveyTemplate.objects.get(builtin_key="monthly-check-in"),
            opens_at=timezone.now() - timedelta(minutes=1),
        )
    with pseudo_language(), alpha.scope(), django_capture_on_commit_callbacks(execute=True):
        cycles_dispatch(organization=alpha.organization)
    assert_translated(mail.outbox)
    assert not notification_problems(alpha), notification_problems(alpha)


# Sponsor digest ---------------------------------------------------------------------------------


def test_sponsor_digest(alpha: Tenant, django_capture_on_commit_callbacks) -> None:
    from mentorship.frame import digest
    from tests.mentorship.test_digest import MONDAY, build_program

    build_program(alpha)
    with pseudo_language(), alpha.scope(), django_capture_on_commit_callbacks(execute=True):
        assert digest.digests_dispatch(organization=alpha.organization, now=MONDAY) == 1
    assert_translated([m for m in mail.outbox if alpha.sponsor.email in m.to])


# HR admins' notifications -----------------------------------------------------------------------


def test_concern_and_application_notifications_to_hr(
    alpha: Tenant, django_capture_on_commit_callbacks
) -> None:
    from feedback.services.concerns import concern_raise
    from programs.models import Program
    from programs.services.participants import participant_apply
    from tests.factories import MembershipFactory, ProgramFactory

    pair = _pair(alpha)
    applicant = MembershipFactory(organization=alpha.organization, is_participant=True)
    with alpha.scope():
        enrolling = ProgramFactory(
            organization=alpha.organization, status=Program.Status.ENROLLING, name="Open"
        )
    with pseudo_language(), alpha.scope(), django_capture_on_commit_callbacks(execute=True):
        concern_raise(participant=pair.mentor, kind="help", text="We need help")
        participant_apply(
            program=enrolling,
            membership=applicant,
            first_name="Ann",
            last_name="Applicant",
            side="junior",
        )
    assert_translated([m for m in mail.outbox if alpha.hr.email in m.to], at_least=2)
    assert not notification_problems(alpha), notification_problems(alpha)


# allauth's own emails ---------------------------------------------------------------------------


def test_password_reset_email(alpha: Tenant) -> None:
    with pseudo_language():
        response = Client().post("/accounts/password/reset/", {"email": alpha.participant.email})
    assert response.status_code == 302
    assert_translated(mail.outbox)


def test_sign_up_confirmation_email(db: None) -> None:
    with pseudo_language():
        response = Client().post(
            "/accounts/signup/",
            {
                "email": "someone.new@example.com",
                "password1": "a long enough passphrase 42",
                "password2": "a long enough passphrase 42",
            },
        )
    assert response.status_code == 302, response.content.decode()[:500]
    assert_translated([m for m in mail.outbox if "someone.new@example.com" in m.to])


# Pairs and applications -------------------------------------------------------------------------


def test_application_decision_pair_exit_and_dissolution(
    alpha: Tenant, django_capture_on_commit_callbacks
) -> None:
    from pairings.services.exits import pairing_request_exit
    from pairings.services.pairs import pairing_dissolve
    from programs.models import Participant, Program
    from programs.services.participants import participant_apply, participant_decide
    from tests.factories import MembershipFactory, ProgramFactory

    pair = _pair(alpha)
    applicant = MembershipFactory(organization=alpha.organization, is_participant=True)
    with alpha.scope():
        enrolling = ProgramFactory(
            organization=alpha.organization, status=Program.Status.ENROLLING, name="Open"
        )
        applied = participant_apply(
            program=enrolling,
            membership=applicant,
            first_name="Ann",
            last_name="Applicant",
            side="junior",
        )
    mail.outbox.clear()
    with alpha.scope():
        Notification.objects.all().delete()
    with pseudo_language(), alpha.scope():
        with django_capture_on_commit_callbacks(execute=True):
            participant_decide(
                participant=Participant.objects.get(pk=applied.pk), approve=True, actor=alpha.hr
            )
        with django_capture_on_commit_callbacks(execute=True):
            pairing_request_exit(pairing=pair, membership=alpha.members[Role.PARTICIPANT])
        pair.refresh_from_db()
        with django_capture_on_commit_callbacks(execute=True):
            pairing_dissolve(pairing=pair, actor=alpha.hr)
    assert_translated(mail.outbox, at_least=3)
    assert not notification_problems(alpha), notification_problems(alpha)


def test_application_declined(alpha: Tenant, django_capture_on_commit_callbacks) -> None:
    from programs.models import Participant, Program
    from programs.services.participants import participant_apply, participant_decide
    from tests.factories import MembershipFactory, ProgramFactory

    applicant = MembershipFactory(organization=alpha.organization, is_participant=True)
    with alpha.scope():
        enrolling = ProgramFactory(
            organization=alpha.organization, status=Program.Status.ENROLLING, name="Open"
        )
        applied = participant_apply(
            program=enrolling,
            membership=applicant,
            first_name="Ann",
            last_name="Applicant",
            side="junior",
        )
        Notification.objects.all().delete()
    mail.outbox.clear()
    with pseudo_language(), alpha.scope(), django_capture_on_commit_callbacks(execute=True):
        participant_decide(
            participant=Participant.objects.get(pk=applied.pk), approve=False, actor=alpha.hr
        )
    assert_translated([m for m in mail.outbox if applicant.user.email in m.to])
    assert not notification_problems(alpha), notification_problems(alpha)


def test_both_partners_asking_for_an_exit(
    alpha: Tenant, django_capture_on_commit_callbacks
) -> None:
    from pairings.services.exits import pairing_request_exit

    pair = _pair(alpha)
    with alpha.scope():
        pairing_request_exit(pairing=pair, membership=alpha.members[Role.PARTICIPANT])
        Notification.objects.all().delete()
    mail.outbox.clear()
    with pseudo_language(), alpha.scope(), django_capture_on_commit_callbacks(execute=True):
        pairing_request_exit(pairing=pair, membership=pair.mentee.membership)
    assert_translated([m for m in mail.outbox if alpha.hr.email in m.to])
    assert not notification_problems(alpha), notification_problems(alpha)


# Matching: pairs published, confirmed, declined -------------------------------------------------


def test_pairs_published_to_participants_and_confirmed(
    alpha: Tenant, django_capture_on_commit_callbacks
) -> None:
    from pairings.models import Pairing
    from pairings.services import match_runs
    from pairings.services.pairs import pairing_confirm
    from tests.pairings.conftest import matching_program

    program = matching_program.__wrapped__(alpha)
    with alpha.scope(), django_capture_on_commit_callbacks(execute=True):
        run = match_runs.match_run_start(program=program, actor=alpha.hr)
    with alpha.scope():
        run.refresh_from_db()
    mail.outbox.clear()
    with pseudo_language(), alpha.scope():
        with django_capture_on_commit_callbacks(execute=True):
            match_runs.match_run_publish(run=run, actor=alpha.hr)
        published = len(mail.outbox)
        pairing = Pairing.objects.get(mentee__membership=program.senior_member)
        with django_capture_on_commit_callbacks(execute=True):
            pairing_confirm(pairing=pairing, membership=program.senior_member, confirm=True)
    assert published >= 2 and len(mail.outbox) > published, [m.subject for m in mail.outbox]
    assert_translated(mail.outbox, at_least=3)
    assert not notification_problems(alpha), notification_problems(alpha)


def test_proposed_pair_declined(alpha: Tenant, django_capture_on_commit_callbacks) -> None:
    from pairings.models import Pairing
    from pairings.services.pairs import pairing_confirm
    from tests.factories import PairingFactory
    from tests.pairings.conftest import matching_program

    program = matching_program.__wrapped__(alpha)
    with alpha.scope():
        people = {p.email: p for p in program.participants.all()}
        pairing = PairingFactory(
            program=program,
            mentor=people[alpha.participant.email],
            mentee=people[program.senior_member.user.email],
            status=Pairing.Status.PROPOSED,
        )
    with pseudo_language(), alpha.scope(), django_capture_on_commit_callbacks(execute=True):
        pairing_confirm(pairing=pairing, membership=program.senior_member, confirm=False)
    assert_translated([m for m in mail.outbox if alpha.participant.email in m.to])
    assert not notification_problems(alpha), notification_problems(alpha)


# Quiet pairs: the nudge, HR's escalation, the closing notice, a partner keeping the pair, and the
# program closing it (with calendar cancellations) ------------------------------------------------


def test_quiet_pair_nudge_escalation_notice_keep_and_close(
    alpha: Tenant, settings, django_capture_on_commit_callbacks
) -> None:
    from pairings.models import Pairing, PairingEvent
    from pairings.reminders import reminders_send_due
    from pairings.services import quiet
    from programs.models import Program
    from tests.factories import MeetingFactory

    days, close_after = 5, 20  # as tests/pairings/test_quiet_close.py
    settings.PAIR_INACTIVITY_DAYS = days
    start = timezone.now().replace(microsecond=0) - timedelta(days=close_after - 7, minutes=1)
    pair = _pair(alpha)
    with alpha.scope():
        Program.objects.filter(pk=pair.program_id).update(close_quiet_after_days=close_after)
        PairingEvent.objects.create(
            organization=alpha.organization, pairing=pair, status="active", created_at=start
        )
        Pairing.objects.filter(pk=pair.pk).update(created_at=start, quiet_check_at=start)
    with pseudo_language(), alpha.scope():
        for at in (days + 0.5, 2 * days + 0.5, close_after - 7):  # nudge, HR, closing notice
            with django_capture_on_commit_callbacks(execute=True):
                reminders_send_due(
                    organization=alpha.organization, now=start + timedelta(days=at, minutes=1)
                )
        noticed = [m.subject for m in mail.outbox]
        with django_capture_on_commit_callbacks(execute=True):
            quiet.pairing_keep(
                pairing=Pairing.objects.get(pk=pair.pk), membership=alpha.members[Role.PARTICIPANT]
            )
        MeetingFactory(pairing=pair, starts_at=timezone.now() + timedelta(days=3))
        with django_capture_on_commit_callbacks(execute=True):
            quiet.pairing_close_for_inactivity(
                pairing=Pairing.objects.get(pk=pair.pk), now=timezone.now(), quiet_since=start
            )
    assert len(noticed) >= 5, noticed  # 2 nudges, 1 to HR, 2 notices
    with alpha.scope():
        assert Pairing.objects.get(pk=pair.pk).status == Pairing.Status.DISSOLVED
    assert_translated(mail.outbox, at_least=11)
    assert not notification_problems(alpha), notification_problems(alpha)


# Find a time: proposals and declines -------------------------------------------------------------


def test_find_a_time_proposal_and_decline(
    alpha: Tenant, django_capture_on_commit_callbacks
) -> None:
    from pairings.services import proposals
    from tests.pairings.proposals.support import (
        days_ahead,
        junior_of,
        propose,
        senior_of,
        with_hours,
    )
    from tests.pairings.test_meetings import make_pair

    pair = with_hours(alpha, make_pair(alpha))
    with pseudo_language():
        with django_capture_on_commit_callbacks(execute=True):
            proposal = propose(
                alpha, pair, times=[days_ahead(3, 15), days_ahead(4, 16)], message="Tea?"
            )
        with alpha.scope(), django_capture_on_commit_callbacks(execute=True):
            proposals.proposal_decline(
                proposal=proposal, actor=senior_of(pair), note="Away that week"
            )
    assert [m.to for m in mail.outbox] == [[senior_of(pair).email], [junior_of(pair).email]]
    assert_translated(mail.outbox, at_least=2, typed=("Away that week",))
    problems = notification_problems(alpha, typed=("Away that week",))
    assert not problems, problems


def test_find_a_time_proposal_without_a_message_and_decline_without_a_note(
    alpha: Tenant, django_capture_on_commit_callbacks
) -> None:
    from pairings.services import proposals
    from tests.pairings.proposals.support import propose, senior_of, with_hours
    from tests.pairings.test_meetings import make_pair

    pair = with_hours(alpha, make_pair(alpha))
    with pseudo_language():
        with django_capture_on_commit_callbacks(execute=True):
            proposal = propose(alpha, pair)
        with alpha.scope(), django_capture_on_commit_callbacks(execute=True):
            proposals.proposal_decline(proposal=proposal, actor=senior_of(pair), note="")
    assert_translated(mail.outbox, at_least=2)
    assert not notification_problems(alpha), notification_problems(alpha)


def test_check_in_reminder_and_the_other_kind_of_invitation(
    alpha: Tenant, django_capture_on_commit_callbacks
) -> None:
    """The invitation of a check-in attributed the other way than the built-in default, and
    the reminder to those who have not answered."""
    from feedback.models import SurveyTemplate
    from feedback.services.cycles import cycle_create, cycles_dispatch
    from feedback.services.templates import templates_ensure_builtin
    from programs.models import Program

    pair = _pair(alpha)
    now = timezone.now()
    with alpha.scope():
        templates_ensure_builtin(organization=alpha.organization)
        Program.objects.filter(pk=pair.program_id).update(status=Program.Status.ACTIVE)
        template = SurveyTemplate.objects.get(builtin_key="monthly-check-in")
        cycle = cycle_create(
            program=pair.program,
            template=template,
            opens_at=now - timedelta(minutes=1),
            anonymous=template.attributed_by_default,
        )
    with pseudo_language(), alpha.scope():
        with django_capture_on_commit_callbacks(execute=True):
            cycles_dispatch(organization=alpha.organization, now=now)
        sent = len(mail.outbox)
        with django_capture_on_commit_callbacks(execute=True):
            counts = cycles_dispatch(
                organization=alpha.organization,
                now=now + timedelta(days=cycle.remind_after_days, hours=1),
            )
    assert sent >= 2 and counts["reminded"] >= 2, counts
    assert_translated(mail.outbox, at_least=4)
    assert not notification_problems(alpha), notification_problems(alpha)


# Webhooks: HR admins told of an endpoint turned off ----------------------------------------------


@pytest.mark.usefixtures("private_networks")
@pytest.mark.parametrize("status", [410, 500])
def test_webhook_endpoint_turned_off_notice_to_hr(
    alpha: Tenant, request: pytest.FixtureRequest, status: int, django_capture_on_commit_callbacks
) -> None:
    """410 Gone turns it off at once; failures of whole schedules in a row turn it off too."""
    from mentorship.events import delivery
    from mentorship.events.models import EventType, WebhookDelivery
    from mentorship.events.services import event_emit
    from mentorship.events.tasks import deliver_webhooks
    from tests.events.support import Answer, deliveries, make_endpoint

    loopback = request.getfixturevalue("receiver")  # tests/events' receiver on loopback
    loopback.answer = Answer(status=status)
    make_endpoint(alpha, loopback.url)
    count = 1 if status == 410 else delivery.DISABLE_AFTER_FAILED_DELIVERIES
    with alpha.scope():
        for n in range(count):
            event_emit(
                organization=alpha.organization, event_type=EventType.PAIRING_ACTIVE, data={"id": n}
            )
        rows = deliveries(alpha)
        WebhookDelivery.objects.filter(pk__in=[d.pk for d in rows]).update(
            attempts=delivery.MAX_ATTEMPTS - 1
        )
    with pseudo_language(), django_capture_on_commit_callbacks(execute=True):
        deliver_webhooks(organization_id=alpha.organization.pk, delivery_ids=[d.pk for d in rows])
    assert_translated([m for m in mail.outbox if alpha.hr.email in m.to])
    assert not notification_problems(alpha), notification_problems(alpha)


def test_password_reset_for_an_unknown_address(db: None) -> None:
    """allauth does not tell who has an account: an unknown address is told so by email."""
    with pseudo_language():
        response = Client().post("/accounts/password/reset/", {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert_translated([m for m in mail.outbox if "nobody@example.com" in m.to])


def test_sign_up_with_an_address_that_has_an_account(alpha: Tenant) -> None:
    """Signing up again with a known address emails its owner instead (no enumeration)."""
    with pseudo_language():
        response = Client().post(
            "/accounts/signup/",
            {
                "email": alpha.participant.email,
                "password1": "a long enough passphrase 42",
                "password2": "a long enough passphrase 42",
            },
        )
    assert response.status_code == 302, response.content.decode()[:500]
    assert_translated([m for m in mail.outbox if alpha.participant.email in m.to])


def test_confirming_an_added_email_address(alpha: Tenant, client_for) -> None:
    """Adding an address at /accounts/email/ sends its confirmation (resending it sends the same
    message, and allauth's rate limit holds it back within minutes)."""
    from tests.identity.settings_support import reauthenticated

    client = reauthenticated(client_for(alpha.participant))
    with pseudo_language():
        added = client.post("/accounts/email/", {"email": "me@personal.example", "action_add": ""})
    assert added.status_code == 302, added.content.decode()[:500]
    assert_translated([m for m in mail.outbox if "me@personal.example" in m.to])


def test_day_before_reminder_with_the_sessions_guide_and_a_place(
    alpha: Tenant, django_capture_on_commit_callbacks
) -> None:
    from pairings.reminders import reminders_send_due
    from programs.models import SessionGuide
    from tests.factories import MeetingFactory

    pair = _pair(alpha)
    with alpha.scope():
        for position, title in ((1, "Ground rules"), (2, "What I want to learn")):
            SessionGuide.objects.create(
                organization=alpha.organization,
                program=pair.program,
                position=position,
                title=title,
                purpose=f"Purpose of {title}",
            )
        MeetingFactory(pairing=pair, starts_at=timezone.now() - timedelta(days=9))
        MeetingFactory(
            pairing=pair, starts_at=timezone.now() + timedelta(hours=23), location="Room 4"
        )
    mail.outbox.clear()
    with pseudo_language(), alpha.scope(), django_capture_on_commit_callbacks(execute=True):
        reminders_send_due(organization=alpha.organization, now=timezone.now())
    reminded = [m for m in mail.outbox if "Purpose of What I want to learn" in m.body]
    assert len(reminded) == 2, [m.subject for m in mail.outbox]
    assert_translated(mail.outbox, at_least=2)
    assert not notification_problems(alpha), notification_problems(alpha)
