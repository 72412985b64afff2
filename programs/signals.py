"""Signals the programs app sends."""

from __future__ import annotations

from django.dispatch import Signal

# Sent after a program closes, with ``program``: later apps (pairings, feedback) hang their
# end-of-program steps here instead of this app importing them.
program_closed = Signal()
