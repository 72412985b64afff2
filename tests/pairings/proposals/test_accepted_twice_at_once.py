"""A proposal accepted twice at once (two tabs, or the email link and the app) creates one
meeting: the compare-and-set on the proposal's status lets one accept through; the other waits
for it (PostgreSQL) and is told the times were already answered."""

from __future__ import annotations

import contextlib
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from mentorship.models import User
from pairings.models import Meeting, MeetingProposal, Pairing
from pairings.services import proposals
from tests.conftest import Tenant
from tests.pairings.proposals.support import propose, senior_of

pytestmark = pytest.mark.django_db(transaction=True)


def accept_twice_at_once(
    alpha: Tenant, proposal: MeetingProposal, user: User, slots: list[int], monkeypatch
) -> list[Exception]:
    """Both accepts pass every check before either writes (on PostgreSQL, in two threads with
    their own connections); on SQLite, one writer at a time, the second with a stale row."""
    errors: list[Exception] = []
    if connection.vendor != "postgresql":
        with alpha.scope():
            loaded = [MeetingProposal.objects.get(pk=proposal.pk) for _ in slots]
            for row, index in zip(loaded, slots, strict=True):
                try:
                    proposals.proposal_accept(proposal=row, slot_index=index, actor=user)
                except ValidationError as exc:
                    errors.append(exc)
        return errors
    barrier = threading.Barrier(len(slots), timeout=10)
    checked = proposals._busy_problem

    def check_then_wait(**kwargs: object) -> str:
        problem = checked(**kwargs)
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait()
        return problem

    monkeypatch.setattr(proposals, "_busy_problem", check_then_wait)

    def run(index: int) -> None:
        try:
            with alpha.scope():
                row = MeetingProposal.objects.get(pk=proposal.pk)
                proposals.proposal_accept(proposal=row, slot_index=index, actor=user)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in slots]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return errors


@pytest.mark.parametrize("slots", [[0, 0], [0, 2]], ids=["same time", "two times"])
def test_a_proposal_accepted_twice_at_once_creates_one_meeting(
    alpha: Tenant, pair: Pairing, slots: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    proposal = propose(alpha, pair)
    errors = accept_twice_at_once(alpha, proposal, senior_of(pair), slots, monkeypatch)
    with alpha.scope():
        meetings = list(Meeting.objects.filter(pairing=pair))
        proposal.refresh_from_db()
    assert len(meetings) == 1, errors
    assert proposal.status == MeetingProposal.Status.ACCEPTED
    assert proposal.meeting_id == meetings[0].pk
    assert [e.messages for e in errors] == [
        ["These times were already answered: one of them was accepted."]
    ]
