"""The HR matching page: propose, read the explanation, what-if, swap, publish."""

from __future__ import annotations

from mentorship.models import Role
from pairings.matching import DEFAULT_WEIGHTS
from pairings.models import MatchRun, Pairing
from programs.models import Program
from programs.services import participants as participant_services
from tests.conftest import Tenant
from tests.queries import assert_queries_do_not_grow


def url(p: Program, suffix: str = "") -> str:
    return f"/o/{p.organization.slug}/programs/{p.slug}/matching/{suffix}"


def test_hr_proposes_reads_swaps_and_publishes(
    alpha: Tenant, matching_program, client_for, django_capture_on_commit_callbacks
) -> None:
    client = client_for(alpha.hr)
    assert "No proposal yet" in client.get(url(matching_program)).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            url(matching_program, "run/"),
            DEFAULT_WEIGHTS,
        )
    page = client.get(url(matching_program)).content.decode()
    assert (
        "greedy baseline" in page
        and "The junior teaches what the senior wants: <strong>+4.0</strong>" in page
    )
    with alpha.scope():
        run = MatchRun.objects.get()
        first, second = (f"{p['junior_id']}-{p['senior_id']}" for p in run.result["pairs"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            url(matching_program, f"{run.pk}/"),
            {"action": "swap", "first": first, "second": second},
        )
    with alpha.scope():
        swapped = MatchRun.objects.order_by("-id").first()
        assert all(p["locked"] for p in swapped.result["pairs"])
    # The old proposal can no longer be published: only the latest.
    body = client.post(
        url(matching_program, f"{run.pk}/"), {"action": "publish"}, follow=True
    ).content.decode()
    assert "no longer the latest" in body
    body = client.post(
        url(matching_program, f"{swapped.pk}/"), {"action": "publish"}, follow=True
    ).content.decode()
    assert "2 pairs published" in body
    with alpha.scope():
        assert Pairing.objects.filter(status=Pairing.Status.PROPOSED, manual=True).count() == 2


def test_what_if_weights_are_validated(alpha: Tenant, matching_program, client_for) -> None:
    body = (
        client_for(alpha.hr)
        .post(url(matching_program, "run/"), {"topic_fit": 99}, follow=True)
        .content.decode()
    )
    assert "Each weight is a number from 0 to 20." in body
    with alpha.scope():
        assert not MatchRun.objects.exists()


def test_matching_is_for_hr_admins(alpha: Tenant, matching_program, client_for) -> None:
    for role in (Role.SPONSOR, Role.PARTICIPANT):
        assert client_for(alpha.user(role)).get(url(matching_program)).status_code == 404


def test_the_matching_page_costs_the_same_queries_at_any_size(
    alpha: Tenant, matching_program, client_for, django_capture_on_commit_callbacks
) -> None:
    client = client_for(alpha.hr)

    def page() -> None:
        assert client.get(url(matching_program)).status_code == 200

    def grow() -> None:
        with alpha.scope():
            for n in range(20):
                participant_services.participant_add(
                    program=matching_program,
                    email=f"extra{n}@example.com",
                    invited_by=None,
                    first_name="E",
                    last_name=str(n),
                    side="junior" if n % 2 else "senior",
                    level=1 if n % 2 else 9,
                )
        with django_capture_on_commit_callbacks(execute=True):
            client.post(
                url(matching_program, "run/"),
                DEFAULT_WEIGHTS,
            )

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            url(matching_program, "run/"),
            DEFAULT_WEIGHTS,
        )
    assert_queries_do_not_grow(page, grow=grow)
