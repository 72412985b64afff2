"""The person's own account pages beside allauth's: their sign-ins."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from mentorship import selectors
from mentorship.web import paginate


@require_GET
@login_required
def sign_ins(request: HttpRequest) -> HttpResponse:
    """The signed-in person's sign-ins and failed attempts on their account, with addresses.

    Theirs alone: no organisation sees them (it records only that they entered it)."""
    page = paginate(request, selectors.sign_ins_of_user(user=request.user))
    return render(request, "mentorship/sign_ins.html", {"page": page})
