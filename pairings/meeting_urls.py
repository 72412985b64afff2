"""Meetings and calendar feeds (filled in by the meetings work)."""

urlpatterns: list = []
