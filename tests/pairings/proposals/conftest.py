"""Fixtures of "Find a time": an active pair (junior in London, senior in New York) whose
partners are both available every day, London afternoons and New York mornings."""

from __future__ import annotations

import pytest

from pairings.models import Pairing
from tests.conftest import Tenant
from tests.pairings.proposals.support import with_hours
from tests.pairings.test_meetings import make_pair


@pytest.fixture
def pair(alpha: Tenant) -> Pairing:
    return with_hours(alpha, make_pair(alpha))
