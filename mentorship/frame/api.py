"""The ``/api/v1/`` router: every app's routes (``<app>/api.py``'s ``ROUTES``), the OpenAPI
schema, its readable documentation, and a JSON 404 for any other path under ``/api/``."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path, re_path
from django.views.generic import TemplateView
from drf_spectacular.views import SpectacularAPIView
from rest_framework.permissions import AllowAny
from rest_framework.routers import SimpleRouter

import feedback.api
import pairings.api
import programs.api
from mentorship.api import errors, resources

# Paths end with a slash, as the schema says; one without gets the API's JSON 404.
router = SimpleRouter()
for prefix, viewset, basename in (
    *resources.ROUTES,
    *programs.api.ROUTES,
    *pairings.api.ROUTES,
    *feedback.api.ROUTES,
):
    router.register(prefix, viewset, basename=basename)


class SchemaView(SpectacularAPIView):
    """The schema holds no organisation's data: it answers without a key."""

    authentication_classes = []  # type: ignore[assignment]
    permission_classes = [AllowAny]
    throttle_classes = []  # type: ignore[assignment]


api_v1_patterns: list[URLPattern | URLResolver] = [
    path("schema/", SchemaView.as_view(), name="api_schema"),
    path(
        "docs/",
        TemplateView.as_view(template_name="api/docs.html"),
        name="api_docs",
    ),
    path("", include(router.urls)),
]

urlpatterns: list[URLPattern | URLResolver] = [
    path("api/v1/", include(api_v1_patterns)),
    re_path(r"^api/", errors.not_found, name="api_not_found"),
]
