"""Exit requests made before each partner had their own keep their author's side through the
migration that splits them, so the person who asked still sees their request, and only they."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = ("pairings", "0003_activity_weeks")


@pytest.mark.django_db(transaction=True)
def test_an_exit_request_made_before_the_split_stays_with_the_partner_who_asked() -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    targets = [n for n in executor.loader.graph.leaf_nodes() if n[0] != "pairings"] + [BEFORE]
    executor.migrate(targets)
    apps = executor.loader.project_state(targets).apps
    Organization = apps.get_model("mentorship", "Organization")
    User = apps.get_model("mentorship", "User")
    Membership = apps.get_model("mentorship", "Membership")
    Program = apps.get_model("programs", "Program")
    Participant = apps.get_model("programs", "Participant")
    Pairing = apps.get_model("pairings", "Pairing")
    from django.utils import timezone

    org = Organization.objects.create(slug="old", name="Old")
    program = Program.objects.create(organization=org, name="P", slug="p")

    def person(name: str, side: str, account: bool = True) -> object:
        membership = None
        if account:
            user = User.objects.create(email=f"{name}@old.test")
            membership = Membership.objects.create(organization=org, user=user)
        return Participant.objects.create(
            organization=org,
            program=program,
            membership=membership,
            email=f"{name}@old.test",
            first_name=name,
            last_name="X",
            side=side,
        )

    asked = timezone.now()
    junior, senior = person("junior", "junior"), person("senior", "senior")
    by_senior = Pairing.objects.create(
        organization=org,
        program=program,
        mentor=junior,
        mentee=senior,
        exit_requested_at=asked,
        exit_requested_by=senior.membership.user,
    )
    # The person who asked has since lost their account: the side without one asked.
    gone, other = person("gone", "junior", account=False), person("other", "senior")
    by_gone = Pairing.objects.create(
        organization=org,
        program=program,
        mentor=gone,
        mentee=other,
        exit_requested_at=asked,
        exit_requested_by=None,
    )
    untouched = Pairing.objects.create(
        organization=org, program=program, mentor=person("j3", "junior"), mentee=other
    )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    from mentorship.tenancy import across_all_organizations
    from pairings.models import Pairing as Now

    with across_all_organizations():
        rows = {
            p.pk: (p.mentor_exit_requested_at, p.mentee_exit_requested_at)
            for p in Now.objects.all()
        }
    assert rows[by_senior.pk] == (None, asked), "the senior's request was lost or moved"
    assert rows[by_gone.pk] == (asked, None)
    assert rows[untouched.pk] == (None, None)

    # Back again: the request is one per pair once more, made by the partner who asked.
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    back = Pairing.objects.get(pk=by_senior.pk)
    assert (back.exit_requested_at, back.exit_requested_by_id) == (asked, senior.membership.user_id)
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())  # the schema the next tests expect
