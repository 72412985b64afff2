"""The pairs API lists the organisation's pairs with their status history: never a partner's
confidential exit request (nor its note), never a dissolving note; another organisation's pairs
answer 404; ``updated_since`` sees status changes; the list costs the same at any size."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from mentorship.models import Membership
from pairings.models import Pairing
from pairings.services import exits as exit_services
from pairings.services import pairs as pair_services
from programs.models import Program, Side
from tests.api.support import api_client, results
from tests.conftest import Tenant
from tests.factories import MembershipFactory, PairingFactory, ParticipantFactory, ProgramFactory
from tests.queries import assert_queries_do_not_grow

URL = "/api/v1/pairs/"
EXIT_MARKER = "exit-marker-7c1f"
DISSOLVE_MARKER = "dissolve-marker-92ab"


def member(tenant: Tenant) -> Membership:
    return MembershipFactory(organization=tenant.organization, is_participant=True)


def proposed_pair(tenant: Tenant, program: Program | None = None) -> Pairing:
    """A pair just proposed (as publishing a proposal leaves it), both partners members."""
    program = program or ProgramFactory(organization=tenant.organization)
    pairing = PairingFactory(
        program=program,
        mentor=ParticipantFactory(program=program, membership=member(tenant), side=Side.JUNIOR),
        mentee=ParticipantFactory(program=program, membership=member(tenant), side=Side.SENIOR),
        status=Pairing.Status.PROPOSED,
    )
    with tenant.scope():
        pair_services.event_record(pairing, tenant.hr)
    return pairing


def go_live(tenant: Tenant, pairing: Pairing) -> Pairing:
    with tenant.scope():
        pair_services.pairing_confirm(
            pairing=pairing, membership=pairing.mentee.membership, confirm=True
        )
        pair_services.pairing_accept_agreement(
            pairing=pairing, membership=pairing.mentor.membership
        )
        return pair_services.pairing_accept_agreement(
            pairing=pairing, membership=pairing.mentee.membership
        )


def test_a_pair_shows_each_status_it_had_and_no_exit_request(alpha: Tenant) -> None:
    pairing = go_live(alpha, proposed_pair(alpha))
    with alpha.scope():
        exit_services.pairing_request_exit(
            pairing=pairing, membership=pairing.mentor.membership, note=EXIT_MARKER
        )
        pair_services.pairing_dissolve(pairing=pairing, actor=alpha.hr, note=DISSOLVE_MARKER)
    client = api_client(alpha.organization)
    response = client.get(f"{URL}{pairing.pk}/")
    assert response.status_code == 200
    pair = response.json()
    assert [change["status"] for change in pair["status_history"]] == [
        "proposed",
        "confirmed",
        "active",
        "dissolved",
    ]
    assert pair["status"] == "dissolved"
    assert (pair["junior"], pair["senior"]) == (pairing.mentor_id, pairing.mentee_id)
    assert set(pair) == {
        "id",
        "program",
        "program_name",
        "junior",
        "senior",
        "status",
        "manual",
        "score",
        "created_at",
        "updated_at",
        "last_met_at",
        "status_history",
    }
    for body in (response.content.decode(), client.get(URL).content.decode()):
        assert EXIT_MARKER not in body and DISSOLVE_MARKER not in body
        assert "exit" not in body.lower()


def test_pairs_filter_by_program_and_status(alpha: Tenant) -> None:
    first = proposed_pair(alpha)
    second = go_live(alpha, proposed_pair(alpha))
    client = api_client(alpha.organization)
    assert [p["id"] for p in results(client.get(URL))] == [first.pk, second.pk]
    assert [p["id"] for p in results(client.get(URL, {"program": second.program_id}))] == [
        second.pk
    ]
    assert [p["id"] for p in results(client.get(URL, {"status": "proposed"}))] == [first.pk]
    for bad in ({"program": "x"}, {"program": "0"}, {"program": str(2**64)}, {"status": "gone"}):
        response = client.get(URL, bad)
        assert response.status_code == 400, bad
        assert response.json()["code"] == "invalid"
        assert set(response.json()["fields"]) == set(bad)


def test_another_organisations_pairs_are_missing(alpha: Tenant, beta: Tenant) -> None:
    mine = proposed_pair(alpha)
    theirs = proposed_pair(beta)
    client = api_client(alpha.organization)
    assert [p["id"] for p in results(client.get(URL))] == [mine.pk]
    assert client.get(f"{URL}{theirs.pk}/").status_code == 404
    assert client.get(f"{URL}{theirs.pk}/").json() == client.get(f"{URL}999999/").json()
    assert results(client.get(URL, {"program": theirs.program_id})) == []


def test_updated_since_sees_a_pair_change_status(alpha: Tenant) -> None:
    quiet = proposed_pair(alpha)
    moving = proposed_pair(alpha)
    with alpha.scope():
        Pairing.objects.filter(pk__in=[quiet.pk, moving.pk]).update(
            updated_at=timezone.now() - timedelta(days=2)
        )
    since = (timezone.now() - timedelta(days=1)).isoformat()
    client = api_client(alpha.organization)
    assert results(client.get(URL, {"updated_since": since})) == []
    go_live(alpha, moving)
    changed = results(client.get(URL, {"updated_since": since}))
    assert [(p["id"], p["status"]) for p in changed] == [(moving.pk, "active")]
    assert client.get(URL, {"updated_since": "yesterday"}).status_code == 400


def test_the_pairs_list_costs_the_same_at_any_size(alpha: Tenant) -> None:
    program = ProgramFactory(organization=alpha.organization)
    go_live(alpha, proposed_pair(alpha, program))
    client = api_client(alpha.organization)
    client.get(URL)  # the key's first use is recorded once a minute: not part of the pin

    def grow() -> None:
        for _ in range(6):
            go_live(alpha, proposed_pair(alpha, program))

    _small, large = assert_queries_do_not_grow(
        # The key, the page of pairs, their status histories.
        lambda: client.get(URL, {"program": program.pk}),
        grow=grow,
        pinned=3,
    )
    assert len(large.result.json()["results"]) == 7
