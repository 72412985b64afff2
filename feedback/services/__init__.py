"""Writes of the feedback app, one module per noun: ``templates`` (built-in and edited survey
templates), ``cycles`` (scheduling and the dispatch: opening, invitations, reminders, closing),
``responses`` (answers as people submit them, and the anonymous ones written at closing),
``concerns`` and ``after_session`` (the survey offered right after a session log).

Callers import the noun module (``from feedback.services import cycles as cycle_services``);
nothing is re-exported here, so the import graph shows who writes what.
"""
