"""What workers send is written in the recipient's language: a French sponsor's weekly digest
and a Spanish junior's meeting reminder, sent by the real Celery task functions to files (the
file email backend, standing in for var/mail/), read back from those files.

These need the compiled catalogues (locale/*/LC_MESSAGES/django.mo): until they exist the
expected texts equal the English ones and the "not English" assertions fail.
"""

from __future__ import annotations

import email
from datetime import UTC, datetime, timedelta
from email import policy
from pathlib import Path

import pytest
from django.utils import formats, timezone, translation
from django.utils.translation import gettext, pgettext

from mentorship.models import User
from tests.conftest import Tenant

pytestmark = pytest.mark.django_db


@pytest.fixture
def mail_dir(settings, tmp_path: Path) -> Path:
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    return tmp_path


def sent_to(mail_dir: Path, address: str) -> list[str]:
    """Subject and text of every message written for ``address`` (decoded, not MIME-encoded)."""
    found = []
    for path in sorted(mail_dir.glob("*.log")):
        for raw in path.read_text(encoding="utf-8").split("-" * 79):
            if not raw.strip():
                continue
            # Bytes: the bodies are 8-bit UTF-8, which a str parse would mangle.
            message = email.message_from_bytes(raw.strip().encode(), policy=policy.default)
            if address not in str(message["To"]):
                continue
            body = message.get_body(preferencelist=("plain",))
            found.append(f"{message['Subject']}\n{body.get_content() if body else ''}")
    return found


def in_language(language: str, function, *args) -> str:
    with translation.override(language):
        return str(function(*args))


def test_a_french_sponsors_weekly_digest_is_in_french(
    alpha: Tenant, mail_dir: Path, django_capture_on_commit_callbacks
) -> None:
    from mentorship.frame.tasks import dispatch_sponsor_digests
    from tests.mentorship.test_digest import build_program

    User.objects.filter(pk=alpha.sponsor.pk).update(language="fr")
    build_program(alpha)
    now = timezone.now()
    if now.weekday() == 0 and now.astimezone(UTC).hour < 7:
        pytest.skip("Monday before 07:00 UTC: no digest is due")
    with django_capture_on_commit_callbacks(execute=True):
        assert dispatch_sponsor_digests.apply().get() == 1
    [message] = sent_to(mail_dir, alpha.sponsor.email)

    english = gettext("Your dashboard:")
    french = in_language("fr", gettext, "Your dashboard:")
    assert french != english, "no French catalogue compiled (make compilemessages)"
    assert french in message and english not in message
    subject_english = "Weekly digest"
    assert subject_english not in message.splitlines()[0]

    # The period in French: last week's Monday and Sunday as the template writes them.
    this_monday = now.astimezone(UTC).date() - timedelta(days=now.astimezone(UTC).weekday())
    end = this_monday - timedelta(days=1)
    with translation.override("fr"):
        french_end = formats.date_format(end, "j M Y")
    english_end = formats.date_format(end, "j M Y")
    assert french_end in message
    if french_end != english_end:
        assert english_end not in message


def test_a_spanish_juniors_meeting_reminder_is_in_spanish(
    alpha: Tenant, mail_dir: Path, django_capture_on_commit_callbacks
) -> None:
    from pairings.tasks import send_due_reminders
    from pairings.timezones import when_in, zone_named
    from tests.factories import MeetingFactory
    from tests.pairings.conftest import active_pair, matching_program

    User.objects.filter(pk=alpha.participant.pk).update(language="es")
    pair = active_pair(alpha, matching_program.__wrapped__(alpha))
    starts_at = (timezone.now() + timedelta(minutes=50)).replace(second=0, microsecond=0)
    with alpha.scope():
        MeetingFactory(pairing=pair, starts_at=starts_at)
    with django_capture_on_commit_callbacks(execute=True):
        send_due_reminders.apply(kwargs={"organization_id": alpha.organization.pk})
    messages = sent_to(mail_dir, alpha.participant.email)
    assert messages, "no reminder sent to the junior"
    message = messages[0]

    with translation.override("es"):
        fmt = pgettext("meeting date and time format", "l j F Y, H:i T")
        when = when_in(starts_at, zone_named(pair.mentor.timezone))
        month = formats.date_format(starts_at, "F")
    english_month = formats.date_format(starts_at, "F")
    assert fmt and month != english_month, "no Spanish catalogue compiled (make compilemessages)"
    assert when in message, f"{when!r} not in the reminder:\n{message}"
    msgid = "Reminder: meeting with %(partner)s %(when)s"
    values = {"partner": pair.mentee.full_name, "when": when}
    spanish = in_language("es", gettext, msgid) % values
    assert spanish != msgid % values, "no Spanish catalogue compiled (make compilemessages)"
    assert spanish in message and "Reminder: meeting with" not in message
    assert month in message and english_month not in message
    # The partner (senior, no language chosen) got theirs in English, in the same pass.
    senior = pair.mentee.membership.user
    [senior_message] = sent_to(mail_dir, senior.email)[:1]
    assert english_month in senior_message


def test_the_organisation_default_language_is_used_by_workers_too(
    alpha: Tenant, mail_dir: Path, django_capture_on_commit_callbacks
) -> None:
    """A junior with no setting and no recorded browser language gets the organisation's
    default (German here)."""
    from mentorship.models import Organization
    from pairings.tasks import send_due_reminders
    from tests.factories import MeetingFactory
    from tests.pairings.conftest import active_pair, matching_program

    Organization.objects.filter(pk=alpha.organization.pk).update(default_language="de")
    pair = active_pair(alpha, matching_program.__wrapped__(alpha))
    starts_at = datetime.now(UTC) + timedelta(minutes=50)
    with alpha.scope():
        MeetingFactory(pairing=pair, starts_at=starts_at)
    with django_capture_on_commit_callbacks(execute=True):
        send_due_reminders.apply(kwargs={"organization_id": alpha.organization.pk})
    [message] = sent_to(mail_dir, alpha.participant.email)[:1]
    with translation.override("de"):
        month = formats.date_format(starts_at, "F")
    assert month != formats.date_format(starts_at, "F"), "no German catalogue compiled"
    assert month in message
