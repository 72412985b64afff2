"""Writes of the pairings app, one module per noun: ``match_runs`` (proposals, HR's edits,
publishing), ``pairs`` (confirmation, agreement, dissolving), ``exits`` (a partner's confidential
exit request), ``session_logs`` and ``meetings`` (meetings and personal calendar feeds).

Import the noun module or its functions; this package re-exports nothing."""
