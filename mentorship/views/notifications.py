"""The member's in-app inbox."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from mentorship import selectors, services
from mentorship.tenancy import member_required
from mentorship.web import paginate


@require_GET
@member_required
def notifications(request: HttpRequest, org_slug: str) -> HttpResponse:
    page = paginate(request, selectors.notifications_for_user(user=request.user))
    return render(request, "mentorship/notifications.html", {"page": page})


@require_POST
@member_required
def notifications_mark_all_read(request: HttpRequest, org_slug: str) -> HttpResponse:
    count = services.notifications_mark_all_read(user=request.user)
    messages.success(
        request,
        ngettext(
            "%(count)s notification marked as read.",
            "%(count)s notifications marked as read.",
            count,
        )
        % {"count": count},
    )
    return redirect("notifications", org_slug=org_slug)


@require_POST
@member_required
def notification_open(request: HttpRequest, org_slug: str, notification_id: int) -> HttpResponse:
    notification = selectors.notification_get_for_user(
        user=request.user, notification_id=notification_id
    )
    services.notification_mark_read(notification=notification)
    if notification.url and url_has_allowed_host_and_scheme(
        notification.url, allowed_hosts={request.get_host()}
    ):
        return redirect(notification.url)
    return redirect("notifications", org_slug=org_slug)
