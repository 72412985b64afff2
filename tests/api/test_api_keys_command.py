"""``python manage.py create_api_key --org SLUG --name NAME [--write]`` prints a working key of
that organisation (and only the key on stdout, so a script can capture it); it is audited like
one made in Settings; a wrong slug or an empty name is an error that makes nothing."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from mentorship.api.models import OrganizationAPIKey
from mentorship.models import AuditEvent
from tests.api.support import api_client
from tests.conftest import Tenant


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("create_api_key", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_prints_a_read_key_of_the_organisation(alpha: Tenant, beta: Tenant) -> None:
    out, err = run("--org", "alpha", "--name", "Nightly export")
    plain = out.strip()
    assert "\n" not in plain and "shown only once" in err and plain not in err
    with alpha.scope():
        key = OrganizationAPIKey.objects.get()
        assert (key.name, key.can_write, key.created_by) == ("Nightly export", False, None)
        assert key.is_valid(plain)
        assert AuditEvent.objects.filter(action=AuditEvent.Action.API_KEY_CREATED).count() == 1
    with beta.scope():
        assert not OrganizationAPIKey.objects.exists()
    client = api_client(key=plain)
    assert client.get("/api/v1/audit-events/").status_code == 200
    # A read key: a write is refused for the key, before the method is looked at.
    response = client.post("/api/v1/audit-events/", {}, format="json")
    assert (response.status_code, response.json()["code"]) == (403, "read_only_key")


def test_write_makes_a_read_write_key(alpha: Tenant) -> None:
    out, _ = run("--org", "alpha", "--name", "HR sync", "--write")
    with alpha.scope():
        key = OrganizationAPIKey.objects.get()
    assert key.can_write and key.is_valid(out.strip())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--org", "nope", "--name", "X"), "No organisation has the slug 'nope'."),
        (("--org", "alpha", "--name", "   "), "Give the key a name"),
    ],
)
def test_mistakes_are_errors_and_make_nothing(
    alpha: Tenant, args: tuple[str, ...], message: str
) -> None:
    with pytest.raises(CommandError, match=message):
        run(*args)
    with alpha.scope():
        assert not OrganizationAPIKey.objects.exists()
