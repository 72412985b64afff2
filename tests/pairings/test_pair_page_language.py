"""A pair's page speaks its viewer's language, also for the words kept as data: the history's
notes the product stored in English and the matching criteria's keys of "Why this pair"."""

from __future__ import annotations

import pytest
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext, ngettext

from mentorship.models import User
from pairings.matching import CRITERIA_LABELS
from pairings.models import Pairing, PairingEvent
from pairings.selectors import EXIT_NOTE
from pairings.services.quiet import KEPT_NOTE, closed_note
from programs.models import Program
from tests.conftest import Tenant
from tests.pairings.conftest import active_pair


def set_language(user: User, language: str) -> None:
    User.objects.filter(pk=user.pk).update(language=language)
    user.language = language


@pytest.fixture
def pair(alpha: Tenant, matching_program: Program) -> Pairing:
    """An active pair with the product's notes in its history and a score explained."""
    pairing = active_pair(alpha, matching_program)
    with alpha.scope():
        Pairing.objects.filter(pk=pairing.pk).update(
            score=5.0, explanation={"topic_fit": 4.0, "different_department": 1.0}
        )
        for note, confidential in (
            (KEPT_NOTE, False),
            (closed_note(20), False),
            (f"{EXIT_NOTE} We don't click", True),
            ("Typed by HR", False),
        ):
            PairingEvent.objects.create(
                organization=alpha.organization,
                pairing=pairing,
                status="active",
                actor=alpha.participant,
                note=note,
                confidential=confidential,
            )
        pairing.refresh_from_db()
    return pairing


def test_a_french_participant_reads_the_notes_and_criteria_in_french(
    alpha: Tenant, pair: Pairing, client_for
) -> None:
    set_language(alpha.participant, "fr")
    page = client_for(alpha.participant).get(f"/o/alpha/pairs/{pair.pk}/").content.decode()
    with translation.override("fr"):
        expected = [
            gettext(KEPT_NOTE),
            ngettext(
                "Closed after %(days)s day without a meeting",
                "Closed after %(days)s days without a meeting",
                20,
            )
            % {"days": 20},
            # The partner's own words stay as they were typed.
            f"{gettext(EXIT_NOTE)} We don't click",
            # The points are localised numbers (4,0 in French).
            gettext(CRITERIA_LABELS["topic_fit"]) + ": +",
            gettext(CRITERIA_LABELS["different_department"]) + ": +",
        ]
    for text in expected:
        assert escape(text) in page, text
    # What HR typed has no translation: shown as written.
    assert "Typed by HR" in page
    assert "Topicfit" not in page and "Differentdepartment" not in page


def test_in_english_the_notes_read_as_they_were_stored(
    alpha: Tenant, pair: Pairing, client_for
) -> None:
    set_language(alpha.participant, "en")
    page = client_for(alpha.participant).get(f"/o/alpha/pairs/{pair.pk}/").content.decode()
    for text in (
        "Kept after the inactivity notice",
        "Closed after 20 days without a meeting",
        "Exit requested. We don't click",
        "The junior teaches what the senior wants: +4.0",
        "Different departments: +1.0",
    ):
        assert escape(text) in page, text
    my_pairs = client_for(alpha.participant).get("/o/alpha/pairs/").content.decode()
    assert "Pairs, active</li>" in my_pairs
