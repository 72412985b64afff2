"""This app's API resources (serializers and viewsets), on its selectors and services; the
frame's router (``mentorship.frame.api``) mounts ``ROUTES`` under ``/api/v1/``."""

from __future__ import annotations

from typing import Any

ROUTES: list[tuple[str, Any, str]] = []
