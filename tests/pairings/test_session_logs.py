"""Session logs: what each person may read, the duplicate flag, objectives' progress."""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone

from mentorship.models import Role
from pairings.models import SessionLog
from programs.services import objectives as program_services
from tests.conftest import Tenant
from tests.pairings.conftest import active_pair


def test_notes_stay_with_the_pair_and_private_notes_with_the_author(
    alpha: Tenant, matching_program, client_for
) -> None:
    pairing = active_pair(alpha, matching_program)
    with alpha.scope():
        objective = program_services.objective_create(
            participant=pairing.mentor,
            topic=matching_program.topics.first() or pairing.mentor.offers.first(),
            success_criteria="Teach well",
            baseline_rating=2,
        )
        topic = pairing.mentor.offers.first()
    junior = client_for(alpha.participant)
    page = f"/o/alpha/pairs/{pairing.pk}/sessions/"
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    junior.post(
        page + "new/",
        {
            "date": yesterday,
            "minutes": 50,
            "topics": [topic.pk],
            "taught": "Prompting",
            "learned": "Board politics",
            "shared_notes": "Try it weekly",
            "private_notes": "Felt nervous",
            f"progress_{objective.pk}": 40,
        },
    )
    with alpha.scope():
        log = SessionLog.objects.get()
        objective.refresh_from_db()
        pairing.refresh_from_db()
        assert objective.progress == 40 and list(log.objectives.all()) == [objective]
    assert pairing.last_met_at.date() == date.fromisoformat(yesterday)
    mine = junior.get(page).content.decode()
    assert "Felt nervous" in mine and "Try it weekly" in mine
    partner = client_for(matching_program.senior_member.user).get(page).content.decode()
    assert "Try it weekly" in partner and "Prompting" in partner and "Felt nervous" not in partner
    hr = client_for(alpha.hr).get(page).content.decode()
    assert "50 minutes" in hr and topic.name in hr
    assert not any(
        text in hr for text in ("Felt nervous", "Try it weekly", "Prompting", "Board politics")
    )
    assert client_for(alpha.sponsor).get(page).status_code == 404


def test_a_second_log_on_the_same_day_is_flagged_first(
    alpha: Tenant, matching_program, client_for
) -> None:
    pairing = active_pair(alpha, matching_program)
    day = (timezone.localdate() - timedelta(days=2)).isoformat()
    url = f"/o/alpha/pairs/{pairing.pk}/sessions/new/"
    client_for(alpha.participant).post(url, {"date": day, "minutes": 30})
    senior = client_for(matching_program.senior_member.user)
    flagged = senior.post(url, {"date": day, "minutes": 30}).content.decode()
    assert "already logged a session of this pair" in flagged
    with alpha.scope():
        assert SessionLog.objects.count() == 1
    senior.post(url, {"date": day, "minutes": 30, "confirm_duplicate": "on"})
    with alpha.scope():
        assert SessionLog.objects.count() == 2


def test_future_sessions_and_outsiders_are_refused(
    alpha: Tenant, matching_program, client_for
) -> None:
    pairing = active_pair(alpha, matching_program)
    url = f"/o/alpha/pairs/{pairing.pk}/sessions/new/"
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    body = (
        client_for(alpha.participant).post(url, {"date": tomorrow, "minutes": 30}).content.decode()
    )
    assert "logged after it happened" in body
    assert client_for(alpha.hr).get(url).status_code == 404
    assert client_for(alpha.members[Role.SPONSOR].user).get(url).status_code == 404


def test_after_logging_a_short_survey_is_offered(
    alpha: Tenant, matching_program, client_for
) -> None:
    from feedback.models import SurveyInvitation

    pairing = active_pair(alpha, matching_program)
    client = client_for(alpha.participant)
    url = f"/o/alpha/pairs/{pairing.pk}/sessions/new/"
    first = client.post(
        url,
        {"date": (timezone.localdate() - timedelta(days=3)).isoformat(), "minutes": 40},
        follow=True,
    )
    page = first.content.decode()
    assert "Pairing fit" in page and "not anonymous" in page
    with alpha.scope():
        fit = SurveyInvitation.objects.get(cycle__title="Pairing fit")
        assert fit.sent_at and fit.reminded_at  # offered, never emailed or chased
        assert fit.cycle.on_demand
        from feedback.services.cycles import cycles_dispatch

        cycles_dispatch(organization=alpha.organization)  # a beat tick invites nobody else
        assert SurveyInvitation.objects.filter(cycle=fit.cycle).count() == 1
    second = client.post(
        url,
        {"date": (timezone.localdate() - timedelta(days=1)).isoformat(), "minutes": 40},
        follow=True,
    )
    assert "Post-session quick check" in second.content.decode()
    assert "Your answers are <strong>anonymous</strong>" in second.content.decode()
