"""Fixtures of the programs tests."""

from __future__ import annotations

import pytest

from programs import services
from programs.models import Program
from tests.conftest import Tenant


@pytest.fixture
def program(alpha: Tenant) -> Program:
    """A program of alpha made from the built-in template (draft)."""
    with alpha.scope():
        return services.program_create_from_template(
            organization=alpha.organization, template="digital-fluency"
        )


def add_person(program: Program, email: str, side: str = "junior", **fields: object):
    defaults = {"first_name": email.split("@")[0], "last_name": "Test", "side": side}
    defaults.update(fields)
    return services.participant_add(program=program, email=email, invited_by=None, **defaults)
