"""Fail-closed scoping: unscoped queries raise, and every tenant model is scoped."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import models
from django_scopes import ScopeError

from mentorship.models import Membership, Organization
from mentorship.tenancy import across_all_organizations, tenant_scope
from tests.conftest import Tenant

# Top-level packages: the kernel's own apps (identity, api, events) are counted with mentorship.
PROJECT_PACKAGES = {"mentorship", "programs", "pairings", "feedback"}
# Models that are not owned by one organisation, and why.
NOT_TENANT_MODELS = {
    "mentorship.User": "a person may belong to several organisations",
    "mentorship.Organization": "the tenant itself",
    "mentorship.SignIn": "a person's own sign-ins: one sign-in serves all their organisations",
}


def tenant_models() -> list[type[models.Model]]:
    return [
        m
        for m in apps.get_models()
        if m._meta.app_config.name.split(".")[0] in PROJECT_PACKAGES
        and m._meta.label not in NOT_TENANT_MODELS
    ]


def test_an_unscoped_query_raises(alpha: Tenant) -> None:
    with pytest.raises(ScopeError):
        list(Membership.objects.all())
    with pytest.raises(ScopeError):
        Membership.objects.filter(user=alpha.hr).exists()


def test_a_scoped_query_sees_only_its_organisation(alpha: Tenant, beta: Tenant) -> None:
    with alpha.scope():
        orgs = set(Membership.objects.values_list("organization_id", flat=True))
    assert orgs == {alpha.organization.pk}


def test_the_named_escape_hatch_sees_everything(alpha: Tenant, beta: Tenant) -> None:
    with across_all_organizations():
        assert Membership.objects.count() == 6


def test_tenant_scope_refuses_a_missing_organisation() -> None:
    # django-scopes would read None as "no filter": ours must not widen silently.
    with pytest.raises(ValueError), tenant_scope(None):  # type: ignore[arg-type]
        pass


def test_registry_has_tenant_models() -> None:
    assert {m._meta.label for m in tenant_models()} >= {
        "mentorship.Membership",
        "mentorship.Invitation",
        "mentorship.Notification",
        "mentorship.AuditEvent",
    }


@pytest.mark.parametrize("model", tenant_models(), ids=lambda m: m._meta.label)
def test_every_tenant_model_has_a_required_organisation_and_scoped_managers(
    model: type[models.Model], alpha: Tenant
) -> None:
    field = model._meta.get_field("organization")
    assert isinstance(field, models.ForeignKey), "organization must be a foreign key"
    assert field.related_model is Organization
    assert not field.null, "organization must be non-null"
    for manager in model._meta.managers:
        with pytest.raises(ScopeError):
            list(manager.all())
        with alpha.scope():
            sql = str(manager.all().query)
        assert "organization_id" in sql, (
            f"{model._meta.label}.{manager.name} does not filter by tenant"
        )
