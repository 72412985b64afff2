"""A personal calendar feed ends with the membership or account it belongs to, for good."""

from __future__ import annotations

import re
from importlib import import_module

import pytest
from django.apps import apps as django_apps
from django.core import mail
from django.test import Client
from django.utils import timezone

from mentorship.models import Membership, Role, User
from mentorship.tenancy import across_all_organizations
from pairings.models import CalendarFeed
from tests.conftest import Tenant
from tests.factories import MembershipFactory, UserFactory

FEED_PATH = re.compile(r"http://testserver(/calendar/[^\"]+\.ics)")


def create_feed(client: Client, tenant: Tenant) -> str:
    """The member creates (or replaces) their feed; the path shown that one time."""
    page = client.post(f"/o/{tenant.organization.slug}/calendar/").content.decode()
    return FEED_PATH.search(page).group(1)


def calendar_page(client: Client, tenant: Tenant) -> str:
    return client.get(f"/o/{tenant.organization.slug}/calendar/").content.decode()


@pytest.fixture
def member(alpha: Tenant) -> Membership:
    """A participant of alpha other than the fixture's own, so removing them is allowed."""
    user = UserFactory(email="pat@example.com", first_name="Pat")
    return MembershipFactory(organization=alpha.organization, user=user, is_participant=True)


def remove(client_for, tenant: Tenant, membership: Membership) -> None:
    slug = tenant.organization.slug
    response = client_for(tenant.hr).post(f"/o/{slug}/members/{membership.pk}/remove/")
    assert response.status_code == 302


def invite_back(client_for, tenant: Tenant, user: User, capture) -> None:
    """HR invites the person again and they accept through the emailed link."""
    with capture(execute=True):
        response = client_for(tenant.hr).post(
            f"/o/{tenant.organization.slug}/invitations/",
            {"email": user.email, "role": Role.PARTICIPANT.value},
        )
    assert response.status_code == 302
    link = re.search(r"http://testserver(/invitations/[^/\s]+/)", mail.outbox[-1].body).group(1)
    assert client_for(user).post(link).status_code == 302


def test_a_healthy_feed_serves_the_calendar(
    alpha: Tenant, member: Membership, client_for, client
) -> None:
    feed = create_feed(client_for(member.user), alpha)
    response = client.get(feed)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")


def test_removing_a_member_turns_their_feed_off(
    alpha: Tenant, member: Membership, client_for, client
) -> None:
    feed = create_feed(client_for(member.user), alpha)
    remove(client_for, alpha, member)
    assert client.get(feed).status_code == 404
    with alpha.scope():
        assert not CalendarFeed.objects.filter(membership=member).exists()


def test_a_member_invited_back_after_removal_gets_a_new_feed_and_the_old_url_stays_dead(
    alpha: Tenant, member: Membership, client_for, client, django_capture_on_commit_callbacks
) -> None:
    old = create_feed(client_for(member.user), alpha)
    remove(client_for, alpha, member)
    invite_back(client_for, alpha, member.user, django_capture_on_commit_callbacks)

    assert client.get(old).status_code == 404
    back = client_for(member.user)
    assert "You have no calendar feed." in calendar_page(back, alpha)
    new = create_feed(back, alpha)
    assert new != old
    assert client.get(new).status_code == 200
    assert client.get(old).status_code == 404


def test_a_deactivated_account_feed_is_not_served(
    alpha: Tenant, member: Membership, client_for, client
) -> None:
    feed = create_feed(client_for(member.user), alpha)
    User.objects.filter(pk=member.user_id).update(is_active=False)  # as the operator admin does
    assert client.get(feed).status_code == 404


def test_a_failed_removal_leaves_the_feed_on(alpha: Tenant, client_for, client) -> None:
    # The only HR admin cannot be removed; nothing of theirs may change either.
    hr_admin = alpha.members[Role.HR_ADMIN]
    feed = create_feed(client_for(hr_admin.user), alpha)
    slug = alpha.organization.slug
    client_for(hr_admin.user).post(f"/o/{slug}/members/{hr_admin.pk}/remove/")
    with alpha.scope():
        hr_admin.refresh_from_db()
    assert hr_admin.is_active
    assert client.get(feed).status_code == 200


def test_feeds_of_members_removed_before_the_fix_are_deleted_by_the_migration(db) -> None:
    """The data migration deletes feeds whose membership was already removed."""
    migration = import_module("pairings.migrations.0005_delete_feeds_of_removed_members")
    with across_all_organizations():
        kept, gone = MembershipFactory(), MembershipFactory()
        for membership in (kept, gone):
            CalendarFeed.objects.create(
                organization=membership.organization,
                membership=membership,
                token_hash=f"h{membership.pk}",
            )
        Membership.objects.filter(pk=gone.pk).update(removed_at=timezone.now())
        migration.delete_stale_feeds(django_apps, None)
        assert list(CalendarFeed.objects.values_list("membership_id", flat=True)) == [kept.pk]


def test_a_reactivated_account_does_not_get_its_old_feed_back(
    alpha: Tenant, member: Membership, client_for
) -> None:
    """Found in review: deactivation only refused the feed; switched on again, the account's
    old secret URL served again."""
    path = create_feed(client_for(member.user), alpha)
    user = User.objects.get(pk=member.user_id)
    user.is_active = False
    user.save()  # as the operator admin's form does
    user.is_active = True
    user.save()
    assert Client().get(path).status_code == 404


def test_a_removal_saved_in_the_operator_admin_deletes_the_feed_too(
    alpha: Tenant, member: Membership, client_for
) -> None:
    """Found in review: setting "removed" in the admin's form sends no removal signal; the feed
    survived and served again once the person was invited back."""
    from mentorship import services as kernel

    path = create_feed(client_for(member.user), alpha)
    with across_all_organizations():
        membership = Membership.objects.get(pk=member.pk)
        membership.removed_at = timezone.now()
        membership.save()
    with alpha.scope():
        kernel.membership_grant(
            organization=alpha.organization, user=member.user, role=Role.PARTICIPANT
        )
    assert Client().get(path).status_code == 404
