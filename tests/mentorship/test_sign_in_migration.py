"""Sign-ins that earlier versions wrote into every organisation move to the person's own record."""

from __future__ import annotations

from datetime import timedelta
from importlib import import_module

from django.apps import apps as django_apps
from django.utils import timezone

from mentorship.models import AuditEvent, SignIn
from mentorship.tenancy import across_all_organizations
from tests.conftest import Tenant

migration = import_module("mentorship.migrations.0008_sign_in_events_to_their_person")


def test_old_sign_in_events_leave_every_organisation_for_the_persons_own_page(
    alpha: Tenant, beta: Tenant
) -> None:
    user = alpha.hr
    now = timezone.now()
    with across_all_organizations():
        for tenant in (alpha, beta):  # one sign-in, and one failed attempt, in each
            AuditEvent.objects.create(
                organization=tenant.organization,
                action=AuditEvent.Action.LOGIN_SUCCEEDED,
                summary=f"{user.email} signed in",
                actor=user,
                ip_address="203.0.113.9",
                created_at=now,
            )
            AuditEvent.objects.create(
                organization=tenant.organization,
                action=AuditEvent.Action.LOGIN_FAILED,
                summary=f"{user.email.upper()} failed to sign in",
                ip_address="203.0.113.7",
                created_at=now - timedelta(hours=1),
            )
        kept = AuditEvent.objects.create(
            organization=alpha.organization,
            action=AuditEvent.Action.SETTINGS_CHANGED,
            summary="Settings changed: k 5 → 6",
            actor=user,
        )
        migration.move(django_apps, None)
        assert not AuditEvent.objects.filter(
            action__in=(AuditEvent.Action.LOGIN_SUCCEEDED, AuditEvent.Action.LOGIN_FAILED)
        ).exists()
        assert AuditEvent.objects.filter(pk=kept.pk).exists()
    assert sorted(SignIn.objects.filter(user=user).values_list("succeeded", "ip_address")) == [
        (False, "203.0.113.7"),
        (True, "203.0.113.9"),
    ]
