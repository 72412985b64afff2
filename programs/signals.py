"""Signals the programs app sends."""

from __future__ import annotations

from django.dispatch import Signal

# Sent after a program closes, with ``program``: later apps (pairings, feedback) hang their
# end-of-program steps here instead of this app importing them.
program_closed = Signal()

# Sent when participants of ``program`` become approved (joined, decided, imported), inside the
# transaction that approves them: the feedback app invites them to the program's open surveys.
participants_approved = Signal()

# Sent when a program's reminder times change, with ``program``, inside the transaction: the
# pairings app moves the next reminder of the program's meetings to match.
reminder_offsets_changed = Signal()
