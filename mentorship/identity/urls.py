"""URLs of the identity settings pages (inside an organisation)."""

from django.urls import path  # noqa: F401

organization_patterns: list = []
