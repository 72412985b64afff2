"""Placeholder: being written (issue 17)."""

from django.http import Http404, HttpRequest, HttpResponse


def busy_calendar(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def busy_calendar_remove(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404
