"""Placeholder: being written (issue 17)."""

from django.http import Http404, HttpRequest, HttpResponse


def session_plan(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def guide_edit(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def guide_delete(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404
