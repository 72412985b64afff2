"""Settings pages (inside ``/o/<slug>/``, HR admins)."""

from django.urls import URLPattern

organization_patterns: list[URLPattern] = []
