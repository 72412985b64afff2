"""``{{ participant.weekly_availability|availability_summary }}``: the weekly ranges in words."""

from __future__ import annotations

from typing import Any

from django import template

from programs.availability_forms import summary_for_people

register = template.Library()


@register.filter
def availability_summary(ranges: Any) -> str:
    """ "Mon, Wed 09:00–12:00 · Thu 14:00–17:00"; empty when nothing is set or the value is not
    a list of ranges (a template must not break on a bad row)."""
    try:
        return summary_for_people(ranges or [])
    except (TypeError, ValueError, IndexError):
        return ""
