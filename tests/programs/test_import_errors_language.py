"""The import preview page's row errors are in the language of the HR admin who uploaded the file
(the parser builds them with the gettext it is given); without one they stay English."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext

from mentorship.models import User
from programs.csv_parser import parse_participants_csv
from programs.models import ImportJob
from tests.conftest import Tenant
from tests.programs.conftest import url

BAD_EMAIL = "%(column)s “%(value)s” is not a valid email address"
CSV = b"email,first_name,last_name,side\nnot-an-email,A,B,junior\n"


def test_a_french_hr_admin_sees_the_row_errors_in_french(
    alpha: Tenant, program, client_for
) -> None:
    User.objects.filter(pk=alpha.hr.pk).update(language="fr")
    alpha.hr.language = "fr"
    with translation.override("fr"):
        expected = gettext(BAD_EMAIL) % {"column": "email", "value": "not-an-email"}
    english = BAD_EMAIL % {"column": "email", "value": "not-an-email"}
    assert expected != english, "the French catalogue is not compiled"

    client = client_for(alpha.hr)
    client.post(url(program, "participants/import/"), {"file": SimpleUploadedFile("p.csv", CSV)})
    with alpha.scope():
        job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.INVALID
    assert job.errors == [[2, expected]]
    page = client.get(url(program, f"participants/import/{job.pk}/")).content.decode()
    assert escape(expected) in page and escape(english) not in page


def test_without_a_gettext_the_errors_stay_english_whatever_the_language() -> None:
    with translation.override("fr"):
        parsed = parse_participants_csv(CSV.decode())
    assert parsed.errors == [(2, "email “not-an-email” is not a valid email address")]
