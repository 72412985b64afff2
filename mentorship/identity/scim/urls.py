"""URLs of the SCIM 2.0 endpoint (``/scim/v2/``): the bearer token names the organisation."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
