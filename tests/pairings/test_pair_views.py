"""A pair's page as each person sees it."""

from __future__ import annotations

from mentorship.models import Role
from pairings import services
from pairings.models import Pairing
from tests.conftest import Tenant


def published(alpha: Tenant, program, capture) -> Pairing:
    with alpha.scope(), capture(execute=True):
        run = services.match_run_start(program=program, actor=alpha.hr)
    with alpha.scope(), capture(execute=True):
        run.refresh_from_db()
        services.match_run_publish(run=run, actor=alpha.hr)
        return Pairing.objects.get(mentor__membership=alpha.members[Role.PARTICIPANT])


def test_the_senior_confirms_both_accept_and_the_pair_goes_live(
    alpha: Tenant, matching_program, client_for, django_capture_on_commit_callbacks
) -> None:
    pairing = published(alpha, matching_program, django_capture_on_commit_callbacks)
    junior = client_for(alpha.participant)
    senior = client_for(matching_program.senior_member.user)
    page = f"/o/alpha/pairs/{pairing.pk}/"
    assert "Confirm the pairing" not in junior.get(page).content.decode()
    assert "Confirm the pairing" in senior.get(page).content.decode()
    senior.post(page + "action/", {"action": "confirm"})
    junior.post(page + "action/", {"action": "accept"})
    body = senior.post(page + "action/", {"action": "accept"}, follow=True).content.decode()
    assert "Active" in body
    with alpha.scope():
        pairing.refresh_from_db()
    assert pairing.status == Pairing.Status.ACTIVE


def test_an_exit_request_is_hidden_from_the_partner(
    alpha: Tenant, matching_program, client_for, django_capture_on_commit_callbacks
) -> None:
    pairing = published(alpha, matching_program, django_capture_on_commit_callbacks)
    page = f"/o/alpha/pairs/{pairing.pk}/"
    junior = client_for(alpha.participant)
    with django_capture_on_commit_callbacks(execute=True):
        junior.post(page + "exit/", {"note": "Schedules never fit"})
    partner = client_for(matching_program.senior_member.user)
    partner_view = partner.get(page).content.decode()
    assert "Schedules never fit" not in partner_view and "xit requested" not in partner_view
    assert "xit requested" not in partner.get("/o/alpha/pairs/").content.decode()
    own_view = junior.get(page).content.decode()
    assert "exit requested" in own_view and "Ask to end this pairing" not in own_view
    with alpha.scope():
        pairing.refresh_from_db()
    assert pairing.status == Pairing.Status.PROPOSED  # nothing the partner could notice
    hr_view = client_for(alpha.hr).get(page).content.decode()
    assert "Schedules never fit" in hr_view and "(confidential)" in hr_view
    hr = client_for(alpha.hr)
    assert "Dissolve" in hr.get(page + "dissolve/").content.decode()
    hr.post(page + "dissolve/")
    with alpha.scope():
        pairing.refresh_from_db()
    assert pairing.status == Pairing.Status.DISSOLVED
    assert client_for(alpha.sponsor).get(page).status_code == 404
    assert junior.get(page + "dissolve/").status_code == 404
