"""Placeholder: being written (issue 17)."""

from django.http import Http404, HttpRequest, HttpResponse


def pair_keep(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404
