"""``{% proposals_to_answer pairing as proposals %}``: the open proposals the viewer is asked to
answer, for the pair's page (its view stays as it is; the partial asks for what it shows)."""

from __future__ import annotations

from typing import Any

from django import template

from pairings.models import MeetingProposal, Pairing
from pairings.proposal_selectors import open_proposals_to

register = template.Library()


@register.simple_tag(takes_context=True)
def proposals_to_answer(context: dict[str, Any], pairing: Pairing) -> list[MeetingProposal]:
    membership = getattr(context.get("request"), "membership", None)
    if membership is None:
        return []
    return open_proposals_to(pairing=pairing, membership=membership)
