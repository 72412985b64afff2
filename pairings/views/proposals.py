"""Placeholder: being written (issue 17)."""

from django.http import Http404, HttpRequest, HttpResponse


def find_time(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def proposal_new(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def proposal_detail(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def proposal_link(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404
