"""A pair's page as each person sees it."""

from __future__ import annotations

from django.test import Client

from mentorship.models import Membership, Notification, Role
from pairings.models import Pairing, PairingEvent
from pairings.services import match_runs
from tests.conftest import Tenant


def published(alpha: Tenant, program, capture) -> Pairing:
    with alpha.scope(), capture(execute=True):
        run = match_runs.match_run_start(program=program, actor=alpha.hr)
    with alpha.scope(), capture(execute=True):
        run.refresh_from_db()
        match_runs.match_run_publish(run=run, actor=alpha.hr)
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
    assert "You asked for an exit on" in own_view and "Ask to end this pairing" not in own_view
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


def both_ask_to_exit(alpha: Tenant, program, client_for, capture) -> tuple[Pairing, Client, Client]:
    """The junior asks for an exit, then the senior, each through the page they are offered."""
    pairing = published(alpha, program, capture)
    page = f"/o/alpha/pairs/{pairing.pk}/"
    junior = client_for(alpha.participant)
    senior = client_for(program.senior_member.user)
    with capture(execute=True):
        junior.post(page + "exit/", {"note": "Schedules never fit"})
    with capture(execute=True):
        senior.post(page + "exit/", {"note": "Too busy this quarter"})
    return pairing, junior, senior


def test_the_partner_is_still_offered_the_exit_and_their_request_is_recorded(
    alpha: Tenant, matching_program, client_for, django_capture_on_commit_callbacks
) -> None:
    pairing = published(alpha, matching_program, django_capture_on_commit_callbacks)
    page = f"/o/alpha/pairs/{pairing.pk}/"
    junior = client_for(alpha.participant)
    senior = client_for(matching_program.senior_member.user)
    with django_capture_on_commit_callbacks(execute=True):
        junior.post(page + "exit/", {"note": "Schedules never fit"})
    assert "Ask to end this pairing" in senior.get(page).content.decode()
    form = senior.get(page + "exit/").content.decode()
    assert "Send my request" in form and "already" not in form
    with django_capture_on_commit_callbacks(execute=True):
        body = senior.post(page + "exit/", {"note": "Too busy"}, follow=True).content.decode()
    assert "Your request went to the HR admins" in body, body
    assert "already" not in body
    assert "You asked for an exit on" in body and "Ask to end this pairing" not in body
    hr_view = client_for(alpha.hr).get(page).content.decode()
    assert "J One (junior) asked for an exit on" in hr_view
    assert "S One (senior) asked for an exit on" in hr_view
    assert "Schedules never fit" in hr_view and "Too busy" in hr_view


def test_neither_partner_sees_the_others_exit_request_on_any_page(
    alpha: Tenant, matching_program, client_for, django_capture_on_commit_callbacks
) -> None:
    pairing, junior, senior = both_ask_to_exit(
        alpha, matching_program, client_for, django_capture_on_commit_callbacks
    )
    pair = f"/o/alpha/pairs/{pairing.pk}/"
    pages = [
        pair,
        pair + "exit/",
        pair + "sessions/",
        pair + "meetings/",
        "/o/alpha/pairs/",
        "/o/alpha/notifications/",
        "/o/alpha/",
    ]
    for client, own, others in (
        (junior, "Schedules never fit", ("Too busy this quarter", "S One (senior) asked")),
        (senior, "Too busy this quarter", ("Schedules never fit", "J One (junior) asked")),
    ):
        for url in pages:
            response = client.get(url)
            assert response.status_code == 200, url
            body = response.content.decode()
            for text in (*others, "asks to end", "Both partners"):
                assert text not in body, (url, text)
        body = client.get(pair).content.decode()
        assert "You asked for an exit on" in body and own in body
        assert body.count("(confidential)") == 1  # their own request in the history, only
    hr = client_for(alpha.hr)
    body = hr.get(pair).content.decode()
    assert "J One (junior) asked for an exit on" in body and "Schedules never fit" in body
    assert "S One (senior) asked for an exit on" in body and "Too busy this quarter" in body
    assert "Both partners" in hr.get("/o/alpha/notifications/").content.decode()


def test_asking_twice_gives_a_message_and_records_nothing_twice(
    alpha: Tenant, matching_program, client_for, django_capture_on_commit_callbacks
) -> None:
    pairing = published(alpha, matching_program, django_capture_on_commit_callbacks)
    page = f"/o/alpha/pairs/{pairing.pk}/"
    junior = client_for(alpha.participant)
    with django_capture_on_commit_callbacks(execute=True):
        junior.post(page + "exit/", {"note": "Schedules never fit"})
    assert "You already asked for an exit on" in junior.get(page + "exit/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        again = junior.post(page + "exit/", {"note": "Really"})
    body = again.content.decode()
    assert again.status_code == 200 and "You already asked" in body
    with alpha.scope():
        assert PairingEvent.objects.filter(pairing=pairing, confidential=True).count() == 1
        assert (
            Notification.objects.filter(recipient=alpha.hr, subject__contains="asks to end").count()
            == 1
        )


def test_a_partner_who_is_also_an_hr_admin_learns_nothing_of_the_others_exit_request(
    alpha: Tenant, matching_program, client_for, django_capture_on_commit_callbacks
) -> None:
    """Found in review: the senior is also an HR admin. The junior's confidential request
    reached them as HR (a notification, and the pair page with the note)."""
    senior_member = matching_program.senior_member
    with alpha.scope():
        Membership.objects.filter(pk=senior_member.pk).update(is_hr_admin=True)
    pairing = published(alpha, matching_program, django_capture_on_commit_callbacks)
    page = f"/o/alpha/pairs/{pairing.pk}/"
    with django_capture_on_commit_callbacks(execute=True):
        client_for(alpha.participant).post(page + "exit/", {"note": "I do not feel safe with S"})
    with alpha.scope():
        told = Notification.objects.filter(subject__contains="asks to end")
        assert not told.filter(recipient=senior_member.user).exists()
        assert told.filter(recipient=alpha.hr).exists()  # other HR admins are told
    body = client_for(senior_member.user).get(page).content.decode()
    assert "I do not feel safe" not in body and "asked for an exit" not in body
    assert "I do not feel safe" in client_for(alpha.hr).get(page).content.decode()
