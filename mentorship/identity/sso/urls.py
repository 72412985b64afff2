"""URLs of single sign-on: discovery on the sign-in page and ``/o/<slug>/sso/`` (global), and
the connection test (inside an organisation)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
organization_patterns: list = []
