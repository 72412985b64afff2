"""Fixtures of the webhook tests: a receiver on loopback, which the fence refuses unless the
operator allows private networks (``private_networks``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.events.support import Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def private_networks(settings: object) -> None:
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True  # type: ignore[attr-defined]
