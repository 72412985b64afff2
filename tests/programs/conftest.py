"""Fixtures of the programs tests."""

from __future__ import annotations

import pytest

from programs.models import Program
from programs.services import configs as config_services
from programs.services import participants as participant_services
from tests.conftest import Tenant


@pytest.fixture
def program(alpha: Tenant) -> Program:
    """A program of alpha made from the built-in template (draft)."""
    with alpha.scope():
        return config_services.program_create_from_template(
            organization=alpha.organization, template="digital-fluency"
        )


def add_person(program: Program, email: str, side: str = "junior", **fields: object):
    defaults = {"first_name": email.split("@")[0], "last_name": "Test", "side": side}
    defaults.update(fields)
    return participant_services.participant_add(
        program=program, email=email, invited_by=None, **defaults
    )


def url(p: Program, suffix: str = "") -> str:
    return f"/o/{p.organization.slug}/programs/{p.slug}/{suffix}"


def set_status(t: Tenant, program: Program, status: str) -> None:
    with t.scope():
        Program.objects.filter(pk=program.pk).update(status=status)
        program.refresh_from_db()
