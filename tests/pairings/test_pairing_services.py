"""Proposals from the database, HR edits, publishing, and the life of a pair."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from mentorship.models import Notification, Role
from pairings.match_computation import run_matching
from pairings.models import MatchRun, Pairing, PairingEvent
from pairings.services import exits as exit_services
from pairings.services import match_runs
from pairings.services import pairs as pair_services
from programs.models import Participant, Program
from tests.conftest import Tenant
from tests.factories import MeetingFactory, PairingFactory, ParticipantFactory, ProgramFactory


def ids(program: Program) -> dict[str, int]:
    return {p.email.split("@")[0]: p.pk for p in program.participants.all()}


def test_the_command_prints_the_proposal_as_json(alpha: Tenant, matching_program) -> None:
    out = StringIO()
    call_command(
        "match", "--org", "alpha", "--program", matching_program.slug, "--json", stdout=out
    )
    data = json.loads(out.getvalue())
    assert set(data) == {
        "total_score",
        "greedy_total_score",
        "solver_seconds",
        "pairs",
        "unmatched",
    }
    pairs = {(p["mentor"], p["mentee"]) for p in data["pairs"]}
    senior = matching_program.senior_member.user.email
    assert pairs == {(alpha.participant.email, senior), ("j2@example.com", "s2@example.com")}
    assert all(set(p["reasons"]) >= {"topic_fit", "different_department"} for p in data["pairs"])
    assert data["total_score"] >= data["greedy_total_score"]
    with pytest.raises(CommandError):
        call_command("match", "--org", "alpha", "--program", "nope", "--json")


def test_untrained_and_unapproved_people_are_left_out_with_the_reason(
    alpha: Tenant, matching_program
) -> None:
    with alpha.scope():
        Program.objects.filter(pk=matching_program.pk).update(training_required=True)
        matching_program.refresh_from_db()
        matching_program.modules.create(organization=alpha.organization, title="M", body="b")
        from programs.services.training import refresh_training_done

        refresh_training_done(program=matching_program)
        Participant.objects.filter(email="s2@example.com").update(status=Participant.Status.APPLIED)
        result = run_matching(program=matching_program)
    reasons = {u.email: u.reason for u in result.unmatched}
    assert reasons["j2@example.com"].startswith("Mentor training is not complete")
    assert reasons["s2@example.com"] == "The application is not approved yet."


def test_reporting_lines_come_from_the_whole_organisation(alpha: Tenant, matching_program) -> None:
    senior = matching_program.senior_member.user.email
    with alpha.scope():
        # j2's manager is a director outside this program, who reports to senior s1. Without
        # the rule, j2 with s1 is the best pair (s1 wants what j2 offers, departments differ).
        j2 = Participant.objects.get(email="j2@example.com")
        j2.manager_email = "director@example.com"
        j2.save()
        Participant.objects.get(email=senior).wants.set(j2.offers.all())
        Participant.objects.get(email="s2@example.com").wants.clear()
        other = ProgramFactory(organization=alpha.organization, slug="other", name="Other")
        ParticipantFactory(
            program=other,
            email="director@example.com",
            first_name="D",
            last_name="D",
            side="senior",
            level=9,
            manager_email=senior,
        )
        with_rule = run_matching(program=matching_program)
        Program.objects.filter(pk=matching_program.pk).update(exclude_reporting_line=False)
        matching_program.refresh_from_db()
        without_rule = run_matching(program=matching_program)
    assert ("j2@example.com", senior) not in {
        (p.junior_email, p.senior_email) for p in with_rule.pairs
    }
    assert ("j2@example.com", senior) in {
        (p.junior_email, p.senior_email) for p in without_rule.pairs
    }


def make_run(alpha: Tenant, program: Program, capture, **kwargs) -> MatchRun:
    with alpha.scope(), capture(execute=True):
        run = match_runs.match_run_start(program=program, actor=alpha.hr, **kwargs)
    with alpha.scope():
        run.refresh_from_db()
    assert run.status == MatchRun.Status.DONE
    return run


def test_swap_remove_and_add_make_new_proposals(
    alpha: Tenant, matching_program, django_capture_on_commit_callbacks
) -> None:
    run = make_run(alpha, matching_program, django_capture_on_commit_callbacks)
    with alpha.scope():
        p = ids(matching_program)
    j1, j2 = p[alpha.participant.email.split("@")[0]], p["j2"]
    s1, s2 = p[matching_program.senior_member.user.email.split("@")[0]], p["s2"]
    assert {(x["junior_id"], x["senior_id"]) for x in run.result["pairs"]} == {(j1, s1), (j2, s2)}
    with alpha.scope(), django_capture_on_commit_callbacks(execute=True):
        swapped = match_runs.match_run_edit(run=run, actor=alpha.hr, swap=((j1, s1), (j2, s2)))
    with alpha.scope():
        swapped.refresh_from_db()
        assert {(x["junior_id"], x["senior_id"], x["locked"]) for x in swapped.result["pairs"]} == {
            (j1, s2, True),
            (j2, s1, True),
        }
        with pytest.raises(ValidationError, match="no longer the latest"):
            match_runs.match_run_edit(run=run, actor=alpha.hr, remove=(j1, s1))
    with alpha.scope(), django_capture_on_commit_callbacks(execute=True):
        removed = match_runs.match_run_edit(run=swapped, actor=alpha.hr, remove=(j1, s2))
    with alpha.scope():
        removed.refresh_from_db()
    assert (j1, s2) not in {(x["junior_id"], x["senior_id"]) for x in removed.result["pairs"]}
    with alpha.scope():
        Participant.objects.filter(pk=s2).update(level=2)  # now too junior for j1
        with pytest.raises(
            ValidationError, match=r"cannot be paired\. They do not have a seniority gap"
        ):
            match_runs.match_run_edit(run=removed, actor=alpha.hr, add=(j1, s2))


def test_publishing_then_confirming_and_accepting_makes_a_pair_active(
    alpha: Tenant, matching_program, django_capture_on_commit_callbacks
) -> None:
    run = make_run(alpha, matching_program, django_capture_on_commit_callbacks)
    senior = matching_program.senior_member
    junior = alpha.members[Role.PARTICIPANT]
    with alpha.scope(), django_capture_on_commit_callbacks(execute=True):
        match_runs.match_run_publish(run=run, actor=alpha.hr)
        with pytest.raises(ValidationError):
            match_runs.match_run_publish(run=run, actor=alpha.hr)
        pairing = Pairing.objects.get(mentee__membership=senior)
        assert pairing.status == Pairing.Status.PROPOSED and pairing.explanation["topic_fit"] > 0
        assert Participant.objects.filter(matched=True).count() == 4
        assert Notification.objects.filter(
            recipient=senior.user, subject__startswith="Your reverse mentor"
        ).exists()
        with pytest.raises(ValidationError, match="Only the senior"):
            pair_services.pairing_confirm(pairing=pairing, membership=junior, confirm=True)
        pair_services.pairing_accept_agreement(pairing=pairing, membership=junior)
        pair_services.pairing_confirm(pairing=pairing, membership=senior, confirm=True)
        assert pairing.status == Pairing.Status.CONFIRMED  # the senior has not accepted yet
        pair_services.pairing_accept_agreement(pairing=pairing, membership=senior)
        pairing.refresh_from_db()
        assert pairing.status == Pairing.Status.ACTIVE
        history = list(
            PairingEvent.objects.filter(pairing=pairing).values_list("status", flat=True)
        )
    assert history == ["proposed", "confirmed", "active"]


def test_a_confidential_exit_reaches_hr_only_and_hr_dissolves(
    alpha: Tenant, matching_program, django_capture_on_commit_callbacks
) -> None:
    run = make_run(alpha, matching_program, django_capture_on_commit_callbacks)
    senior = matching_program.senior_member
    with alpha.scope(), django_capture_on_commit_callbacks(execute=True):
        match_runs.match_run_publish(run=run, actor=alpha.hr)
        pairing = Pairing.objects.get(mentee__membership=senior)
        exit_services.pairing_request_exit(
            pairing=pairing, membership=senior, note="We don't click"
        )
        assert Notification.objects.filter(
            recipient=alpha.hr, subject__contains="asks to end"
        ).exists()
        assert not Notification.objects.filter(
            recipient=alpha.participant, subject__contains="asks to end"
        ).exists()
        event = PairingEvent.objects.filter(pairing=pairing).last()
        assert event.confidential and event.note == "Exit requested. We don't click"
        pair_services.pairing_dissolve(pairing=pairing, actor=alpha.hr)
        assert not Participant.objects.get(pk=pairing.mentee_id).matched
        # Dissolved pairs are "paired before": they are not proposed again.
        Program.objects.filter(pk=matching_program.pk).update(status=Program.Status.MATCHING)
        result = run_matching(program=matching_program)
    assert (pairing.mentor_id, pairing.mentee_id) not in {
        (p.junior_id, p.senior_id) for p in result.pairs
    }


def test_each_partner_asks_for_an_exit_once_and_hr_hears_of_both(
    alpha: Tenant, matching_program, django_capture_on_commit_callbacks
) -> None:
    run = make_run(alpha, matching_program, django_capture_on_commit_callbacks)
    senior, junior = matching_program.senior_member, alpha.members[Role.PARTICIPANT]
    with alpha.scope(), django_capture_on_commit_callbacks(execute=True):
        match_runs.match_run_publish(run=run, actor=alpha.hr)
        pairing = Pairing.objects.get(mentee__membership=senior)
        # The junior's copy is loaded before the senior asks: it must not matter.
        stale = Pairing.objects.get(pk=pairing.pk)
        exit_services.pairing_request_exit(
            pairing=pairing, membership=senior, note="We don't click"
        )
        exit_services.pairing_request_exit(pairing=stale, membership=junior, note="Me neither")
        with pytest.raises(ValidationError, match="You already asked"):
            exit_services.pairing_request_exit(pairing=pairing, membership=senior, note="Again")
        events = PairingEvent.objects.filter(pairing=pairing, confidential=True)
        assert sorted(events.values_list("actor", "note")) == sorted(
            [
                (senior.user_id, "Exit requested. We don't click"),
                (junior.user_id, "Exit requested. Me neither"),
            ]
        )
        to_hr = Notification.objects.filter(recipient=alpha.hr, subject__contains="asks to end")
        assert to_hr.count() == 2
        assert "Both partners" in to_hr.order_by("created_at", "id").last().body
        assert (
            not Notification.objects.filter(subject__contains="asks to end")
            .exclude(recipient=alpha.hr)
            .exists()
        )


def test_matching_needs_the_matching_state(alpha: Tenant, matching_program) -> None:
    with alpha.scope():
        Program.objects.filter(pk=matching_program.pk).update(status=Program.Status.DRAFT)
        matching_program.refresh_from_db()
        with pytest.raises(ValidationError, match="matching state"):
            match_runs.match_run_start(program=matching_program, actor=alpha.hr)


def test_two_acceptances_at_once_both_count(
    alpha: Tenant, matching_program, django_capture_on_commit_callbacks
) -> None:
    run = make_run(alpha, matching_program, django_capture_on_commit_callbacks)
    senior, junior = matching_program.senior_member, alpha.members[Role.PARTICIPANT]
    with alpha.scope(), django_capture_on_commit_callbacks(execute=True):
        match_runs.match_run_publish(run=run, actor=alpha.hr)
        pairing = Pairing.objects.get(mentee__membership=senior)
        pair_services.pairing_confirm(pairing=pairing, membership=senior, confirm=True)
        # Both partners loaded the page before either accepted (stale copies).
        seen_by_junior = Pairing.objects.get(pk=pairing.pk)
        seen_by_senior = Pairing.objects.get(pk=pairing.pk)
        pair_services.pairing_accept_agreement(pairing=seen_by_junior, membership=junior)
        pair_services.pairing_accept_agreement(pairing=seen_by_senior, membership=senior)
        pairing.refresh_from_db()
    assert pairing.mentor_accepted_at and pairing.mentee_accepted_at
    assert pairing.status == Pairing.Status.ACTIVE


def test_live_and_declined_pairs_are_never_proposed_again(
    alpha: Tenant, matching_program, django_capture_on_commit_callbacks
) -> None:
    with alpha.scope():
        Program.objects.filter(pk=matching_program.pk).update(
            mentees_per_mentor=2, mentors_per_mentee=2
        )
        matching_program.refresh_from_db()
    run = make_run(alpha, matching_program, django_capture_on_commit_callbacks)
    senior = matching_program.senior_member
    with alpha.scope(), django_capture_on_commit_callbacks(execute=True):
        match_runs.match_run_publish(run=run, actor=alpha.hr)
        declined = Pairing.objects.filter(mentee__membership=senior).first()
        pair_services.pairing_confirm(pairing=declined, membership=senior, confirm=False)
        live = set(Pairing.objects.exclude(pk=declined.pk).values_list("mentor_id", "mentee_id"))
        again = run_matching(program=matching_program)
    proposed = {(p.junior_id, p.senior_id) for p in again.pairs}
    assert not proposed & live
    assert (declined.mentor_id, declined.mentee_id) not in proposed


def test_after_dissolving_hr_can_re_pair_in_an_active_program(
    alpha: Tenant, matching_program, django_capture_on_commit_callbacks
) -> None:
    import uuid
    from datetime import timedelta

    from django.core import mail
    from django.utils import timezone

    run = make_run(alpha, matching_program, django_capture_on_commit_callbacks)
    with alpha.scope(), django_capture_on_commit_callbacks(execute=True):
        match_runs.match_run_publish(run=run, actor=alpha.hr)
        pairing = Pairing.objects.get(mentee__membership=matching_program.senior_member)
        Pairing.objects.filter(pk=pairing.pk).update(status=Pairing.Status.ACTIVE)
        pairing.refresh_from_db()
        meeting = MeetingFactory(
            pairing=pairing,
            uid=f"{uuid.uuid4()}@t",
            starts_at=timezone.now() + timedelta(days=3),
        )
        Program.objects.filter(pk=matching_program.pk).update(status=Program.Status.ACTIVE)
        matching_program.refresh_from_db()
        mail.outbox.clear()
        pair_services.pairing_dissolve(pairing=pairing, actor=alpha.hr)
    with alpha.scope():
        meeting.refresh_from_db()
        assert meeting.cancelled_at and meeting.cancelled_by == alpha.hr
    assert any("METHOD:CANCEL" in str(m.message()) for m in mail.outbox)
    assert {m.to[0] for m in mail.outbox if "has ended" in m.subject} == {
        pairing.mentor.email,
        pairing.mentee.email,
    }
    with alpha.scope(), django_capture_on_commit_callbacks(execute=True):
        rerun = match_runs.match_run_start(program=matching_program, actor=alpha.hr)
    assert rerun.pk


def test_a_proposal_whose_people_changed_is_not_published(
    alpha: Tenant, matching_program, django_capture_on_commit_callbacks
) -> None:
    run = make_run(alpha, matching_program, django_capture_on_commit_callbacks)
    with alpha.scope():
        # After the proposal, one of its seniors withdraws.
        Participant.objects.filter(email="s2@example.com").update(
            status=Participant.Status.WITHDRAWN
        )
        with pytest.raises(ValidationError) as refused:
            match_runs.match_run_publish(run=run, actor=alpha.hr)
        assert "is no longer an approved participant" in " ".join(refused.value.messages)
        assert "The program changed since this proposal" in " ".join(refused.value.messages)
        # Nothing was written: no pair, nobody marked matched, the run still publishable.
        assert not Pairing.objects.exists()
        assert not Participant.objects.filter(matched=True).exists()
        run.refresh_from_db()
        assert run.status == MatchRun.Status.DONE


def test_a_proposal_is_not_published_over_a_pair_made_since(
    alpha: Tenant, matching_program, django_capture_on_commit_callbacks
) -> None:
    run = make_run(alpha, matching_program, django_capture_on_commit_callbacks)
    pair = run.result["pairs"][0]
    with alpha.scope():
        program = Program.objects.get(pk=matching_program.pk)
        people = {p.pk: p for p in program.participants.all()}
        PairingFactory(
            program=program,
            mentor=people[pair["junior_id"]],
            mentee=people[pair["senior_id"]],
            status=Pairing.Status.ACTIVE,
        )
        with pytest.raises(ValidationError, match="Already paired in this program"):
            match_runs.match_run_publish(run=run, actor=alpha.hr)
        assert Pairing.objects.count() == 1


def test_a_proposal_is_not_published_against_the_rules_as_they_are_now(
    alpha: Tenant, matching_program, django_capture_on_commit_callbacks
) -> None:
    run = make_run(alpha, matching_program, django_capture_on_commit_callbacks)
    pair = run.result["pairs"][0]
    with alpha.scope():
        # After the proposal, the senior's level is corrected to the junior's.
        junior = Participant.objects.get(pk=pair["junior_id"])
        Participant.objects.filter(pk=pair["senior_id"]).update(level=junior.level)
        with pytest.raises(ValidationError) as refused:
            match_runs.match_run_publish(run=run, actor=alpha.hr)
        assert "do not have a seniority gap of at least" in " ".join(refused.value.messages)
        assert not Pairing.objects.exists()
