"""A write fails half-way: an import of participants or the publishing of a matching proposal
either happens whole or not at all, and can be done again once the fault is gone.

The fault is the database refusing one statement in the middle (an execute wrapper), after
earlier statements of the same unit of work have already run.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, OperationalError, connection

from mentorship.models import AuditEvent, Invitation, Membership, Notification
from pairings.models import MatchRun, Pairing, PairingEvent
from pairings.services import match_runs as pairing_services
from programs.models import ImportJob, Participant, Program, Topic
from programs.services import imports as importer
from programs.services import participants as participant_services
from programs.services import programs as program_services
from programs.services import topics as topic_services
from tests.conftest import Tenant
from tests.factories import MembershipFactory, UserFactory


class FailingStatement:
    """Execute wrapper: every ``every``-th statement that starts with ``sql`` raises ``error``
    instead of running, as a database that refused it would."""

    def __init__(self, sql: str, every: int, error: Exception) -> None:
        self.sql, self.every, self.error = sql, every, error
        self.seen = self.fired = 0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if sql.startswith(self.sql):
            self.seen += 1
            if self.seen % self.every == 0:
                self.fired += 1
                raise self.error
        return execute(sql, params, many, context)


# --- Import --------------------------------------------------------------------------------------

CSV = """email,first_name,last_name,side,offers
ana@example.com,Ana,One,junior,Fault tolerance
ben@example.com,Ben,Two,junior,Fault tolerance
{sponsor},Sam,Sponsor,senior,
cy@example.com,Cy,Four,senior,Chaos engineering
di@example.com,Di,Five,senior,
"""


def import_url(program: Program, suffix: str = "") -> str:
    return f"/o/{program.organization.slug}/programs/{program.slug}/participants/import/{suffix}"


@pytest.mark.parametrize(
    "error",
    [
        DatabaseError("could not extend file: No space left on device"),
        # Transient: retried with back-off (at once here), failing each time, then given up.
        OperationalError("server closed the connection unexpectedly"),
    ],
    ids=["permanent", "transient"],
)
def test_an_import_failing_half_way_writes_nothing_and_can_be_tried_again(
    alpha: Tenant,
    client_for,
    monkeypatch,
    django_capture_on_commit_callbacks,
    celery_handles_retries,
    error,
) -> None:
    with alpha.scope():
        program = program_services.program_create(organization=alpha.organization, name="Imp")
        topics_before = Topic.objects.count()
    hr = client_for(alpha.hr)
    csv = CSV.format(sponsor=alpha.sponsor.email).encode()
    hr.post(import_url(program), {"file": SimpleUploadedFile("people.csv", csv)})
    with alpha.scope():
        job = ImportJob.objects.get(program=program)
    assert job.status == ImportJob.Status.PREVIEW

    # Two rows per chunk: the first chunk is written before the second one fails.
    monkeypatch.setattr(importer, "CHUNK_SIZE", 2)
    fault = FailingStatement('INSERT INTO "programs_participant"', every=2, error=error)
    with connection.execute_wrapper(fault), django_capture_on_commit_callbacks(execute=True):
        hr.post(import_url(program, f"{job.pk}/confirm/"))
    assert fault.fired

    with alpha.scope():
        job.refresh_from_db()
        assert job.status == ImportJob.Status.FAILED
        assert str(error) in job.summary["error"]
        assert not Participant.objects.filter(program=program).exists()
        assert Topic.objects.count() == topics_before
        assert not Invitation.objects.exists()
        assert not Membership.objects.get(user=alpha.sponsor).is_participant
        assert not AuditEvent.objects.filter(
            action=AuditEvent.Action.PARTICIPANTS_IMPORTED
        ).exists()
    assert not mail.outbox
    page = hr.get(import_url(program, f"{job.pk}/")).content.decode()
    assert "The import failed</strong> and nothing was saved" in page

    # The fault is gone: HR tries again from the same page.
    with django_capture_on_commit_callbacks(execute=True):
        hr.post(import_url(program, f"{job.pk}/confirm/"))
    with alpha.scope():
        job.refresh_from_db()
        assert job.status == ImportJob.Status.DONE, job.summary
        assert Participant.objects.filter(program=program).count() == 5
        assert Membership.objects.get(user=alpha.sponsor).is_participant
    assert sorted(m.to[0] for m in mail.outbox) == [
        "ana@example.com",
        "ben@example.com",
        "cy@example.com",
        "di@example.com",
    ]


# --- Publishing a proposal -----------------------------------------------------------------------


@pytest.fixture
def proposal(alpha: Tenant, django_capture_on_commit_callbacks) -> MatchRun:
    """A computed proposal of two pairs, all four people members of the organisation."""
    with alpha.scope():
        program = program_services.program_create(
            organization=alpha.organization, name="Publish", min_level_gap=2
        )
        Program.objects.filter(pk=program.pk).update(status=Program.Status.MATCHING)
        program.refresh_from_db()
        (topic,) = topic_services.topics_get_or_create(
            organization=alpha.organization, names=["Fault tolerance"]
        )
        for n in range(2):
            for side, level, department in (("junior", 1, "Sales"), ("senior", 8, "Tech")):
                member = MembershipFactory(
                    organization=alpha.organization,
                    user=UserFactory(email=f"{side}{n}@alpha.test"),
                    is_participant=True,
                )
                participant_services.participant_add(
                    program=program,
                    email=member.user.email,
                    invited_by=None,
                    first_name=side,
                    last_name=str(n),
                    side=side,
                    level=level,
                    department=department,
                    **{"offers" if side == "junior" else "wants": [topic]},
                )
    with alpha.scope(), django_capture_on_commit_callbacks(execute=True):
        run = pairing_services.match_run_start(program=program, actor=alpha.hr)
    with alpha.scope():
        run.refresh_from_db()
    assert run.status == MatchRun.Status.DONE and len(run.result["pairs"]) == 2
    return run


def test_a_publish_failing_half_way_publishes_nothing_and_can_be_published_again(
    alpha: Tenant, proposal: MatchRun, django_capture_on_commit_callbacks
) -> None:
    program = proposal.program
    # The third of four notifications fails: the first pair was told, the second half-way.
    fault = FailingStatement(
        'INSERT INTO "mentorship_notification"', every=3, error=DatabaseError("disk full")
    )
    with (
        alpha.scope(),
        django_capture_on_commit_callbacks(execute=True),
        connection.execute_wrapper(fault),
        pytest.raises(DatabaseError),
    ):
        pairing_services.match_run_publish(run=proposal, actor=alpha.hr)
    assert fault.fired == 1

    with alpha.scope():
        assert not Pairing.objects.filter(program=program).exists()
        assert not PairingEvent.objects.exists()
        assert not Notification.objects.exists()
        assert not Participant.objects.filter(program=program, matched=True).exists()
        assert not AuditEvent.objects.filter(action=AuditEvent.Action.PAIRINGS_PUBLISHED).exists()
        assert MatchRun.objects.get(pk=proposal.pk).status == MatchRun.Status.DONE
    assert not mail.outbox

    with alpha.scope(), django_capture_on_commit_callbacks(execute=True):
        pairings = pairing_services.match_run_publish(run=proposal, actor=alpha.hr)
    with alpha.scope():
        assert len(pairings) == 2
        assert set(Pairing.objects.values_list("status", flat=True)) == {"proposed"}
        assert MatchRun.objects.get(pk=proposal.pk).status == MatchRun.Status.PUBLISHED
        assert Participant.objects.filter(program=program, matched=True).count() == 4
    assert sorted(m.to[0] for m in mail.outbox) == [
        "junior0@alpha.test",
        "junior1@alpha.test",
        "senior0@alpha.test",
        "senior1@alpha.test",
    ]
