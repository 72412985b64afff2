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

# Sent when a program's ``close_quiet_after_days`` changes, with ``program``, inside the
# transaction: the pairings app looks at the program's active pairs again (a pair already
# nudged and escalated may now have a closing notice due, or a pending one may no longer stand).
quiet_close_changed = Signal()
