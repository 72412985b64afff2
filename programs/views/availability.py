"""Placeholder: being written (issue 17)."""

from django.http import Http404, HttpRequest, HttpResponse


def my_availability(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404
