"""Chat messages built from names an HR user types; addresses that embed a private one."""

from __future__ import annotations

import re

import pytest

from mentorship.events import fence, formats
from mentorship.events.models import EventType

LINK = "[Confirm your account](https://evil.example/login)"


def test_a_program_name_cannot_put_a_link_in_a_teams_card() -> None:
    """Adaptive Card TextBlocks render Markdown: ``[text](url)`` is a clickable link, ``**``
    bold. A program named like LINK posts a phishing link in the company's Teams channel
    under the app's name. Slack's body escapes its markup; Teams' is passed through."""
    text = formats.chat_text(EventType.PAIRING_ACTIVE, {"program_name": LINK}, "Acme")
    card = formats.teams_body(text)["attachments"][0]["content"]["body"][0]["text"]
    assert not re.search(r"\[[^\]]*\]\([^)]*\)", card), card


@pytest.mark.parametrize(
    "address",
    [
        "2002:7f00:1::",  # 6to4 of 127.0.0.1
        "2002:a9fe:a9fe::",  # 6to4 of 169.254.169.254
        "2002:a00:1::",  # 6to4 of 10.0.0.1
        "fec0::1",  # site-local (deprecated, still routed inside some networks)
    ],
)
def test_addresses_embedding_a_private_one_are_refused(address: str) -> None:
    """Python 3.11's ``is_global`` says True for 6to4 (2002::/16) and site-local fec0::/10;
    the fence unwraps IPv4-mapped addresses only."""
    assert fence.address_problem(address, allow_private=False) is not None
