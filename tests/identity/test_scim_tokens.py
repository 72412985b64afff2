"""Provisioning tokens: shown once, stored hashed, revocable, audited; nothing answers without
a live one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from mentorship.identity.models import ScimToken
from mentorship.identity.tokens import (
    scim_token_create,
    scim_token_for_bearer,
    scim_token_revoke,
)
from mentorship.models import AuditEvent, User, hash_token
from tests.conftest import Tenant
from tests.identity.scim_helpers import Scim, token_for, user_body


def test_a_token_is_stored_hashed_with_a_prefix_and_audited(alpha: Tenant) -> None:
    with alpha.scope():
        token, plain = scim_token_create(
            organization=alpha.organization, name="Okta", actor=alpha.hr
        )
        assert plain.startswith("scim_") and len(plain) > 40
        assert token.token_hash == hash_token(plain) and plain not in token.token_hash
        assert token.prefix == plain[:12]
        event = AuditEvent.objects.get(action=AuditEvent.Action.SCIM_TOKEN_CREATED)
    assert event.actor == alpha.hr and "Okta" in event.summary


def test_a_revoked_token_is_refused_and_the_revocation_audited(alpha: Tenant) -> None:
    plain = token_for(alpha.organization)
    scim = Scim(plain)
    assert scim.get("/Users").status_code == 200
    with alpha.scope():
        scim_token_revoke(token=ScimToken.objects.get(), actor=alpha.hr)
        assert AuditEvent.objects.filter(action=AuditEvent.Action.SCIM_TOKEN_REVOKED).count() == 1
    response = scim.get("/Users")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["status"] == "401"
    assert scim_token_for_bearer(plain) is None


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Bearer scim_wrong", "Basic dXNlcjpwYXNz", "Bearer " + "x" * 5000],
)
def test_every_route_needs_a_valid_bearer_token(alpha: Tenant, header: str | None) -> None:
    scim = Scim(None)
    if header:
        scim.headers = {"Authorization": header}
    for method, path in (
        ("get", "/Users"),
        ("post", "/Users"),
        ("get", "/ServiceProviderConfig"),
        ("get", "/nowhere"),
    ):
        response = scim.request(
            method, path, user_body("a@example.com") if method == "post" else None
        )
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Bearer")
    assert not User.objects.filter(email="a@example.com").exists()


def test_last_use_is_recorded_at_most_once_a_minute(alpha: Tenant) -> None:
    plain = token_for(alpha.organization)
    scim = Scim(plain)
    scim.get("/Users")
    with alpha.scope():
        token = ScimToken.objects.get()
    first = token.last_used_at
    assert first is not None
    scim.get("/Users")
    with alpha.scope():
        token.refresh_from_db()
        assert token.last_used_at == first
        ScimToken.objects.filter(pk=token.pk).update(last_used_at=first - timedelta(minutes=2))
    scim.get("/Users")
    with alpha.scope():
        token.refresh_from_db()
    assert token.last_used_at > first - timedelta(seconds=1)
    assert token.last_used_at <= timezone.now()


def test_the_command_prints_a_working_token(alpha: Tenant, capsys: pytest.CaptureFixture) -> None:
    call_command("create_scim_token", "--org", "alpha", "--name", "Entra")
    plain = capsys.readouterr().out.strip()
    assert Scim(plain).get("/Users").status_code == 200
    with alpha.scope():
        assert ScimToken.objects.get().name == "Entra"
    with pytest.raises(CommandError):
        call_command("create_scim_token", "--org", "nowhere")
