"""Settings → Webhooks (HR admins): endpoints, their signing secret (shown once), the delivery
log, a test event and redeliveries.

Every change asks for a recent re-authentication, as the other Settings pages with secrets do:
an endpoint decides where the organisation's events go. Views that fetch an object from the
URL fetch it first, so another organisation's id answers 404 whether or not the session
confirmed."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from mentorship.events import selectors, services
from mentorship.events.forms import EndpointForm
from mentorship.events.models import CHAT_EVENT_TYPES, WebhookEndpoint
from mentorship.identity.views.reauthentication import (
    changes_need_reauthentication,
    reauthentication_context,
    reauthentication_redirect,
)
from mentorship.models import Role
from mentorship.tenancy import role_required
from mentorship.web import confirm_then_act, error_text, paginate, posted, render_page_or_partial


def _form_context(form: EndpointForm) -> dict[str, object]:
    return {"form": form, "chat_event_types": sorted(CHAT_EVENT_TYPES)}


def _secret_page(
    request: HttpRequest, *, endpoint: WebhookEndpoint, secret: str, rotated: bool
) -> HttpResponse:
    """The answer to the POST itself, never a page that can be fetched again: the secret is
    shown here only (the database keeps it encrypted, for signing)."""
    return render(
        request,
        "events/secret.html",
        {"endpoint": endpoint, "secret": secret, "rotated": rotated},
    )


@never_cache
@require_http_methods(["GET", "POST"])
@role_required(Role.HR_ADMIN)
@changes_need_reauthentication
def webhooks(request: HttpRequest, org_slug: str) -> HttpResponse:
    form = EndpointForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            endpoint, secret = services.endpoint_create(
                organization=request.organization, actor=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return _secret_page(request, endpoint=endpoint, secret=secret, rotated=False)
    return render(
        request,
        "events/webhooks.html",
        {
            **_form_context(form),
            **reauthentication_context(request),
            "endpoints": list(selectors.endpoints_list()),
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
@role_required(Role.HR_ADMIN)
def webhook_endpoint(request: HttpRequest, org_slug: str, endpoint_id: int) -> HttpResponse:
    endpoint = selectors.endpoint_get(endpoint_id=endpoint_id)
    confirm = reauthentication_redirect(request)
    if confirm is not None:
        return confirm
    form = EndpointForm.for_endpoint(endpoint, posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.endpoint_update(endpoint=endpoint, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Endpoint saved."))
            return redirect("webhook_endpoint", org_slug=org_slug, endpoint_id=endpoint.pk)
    context = {
        **_form_context(form),
        **reauthentication_context(request),
        "endpoint": endpoint,
        "page": paginate(request, selectors.deliveries_of_endpoint(endpoint=endpoint)),
    }
    if request.method == "POST":
        return render(request, "events/endpoint.html", context)
    # Pages of the delivery log swap in place (htmx); the whole page otherwise.
    return render_page_or_partial(
        request, "events/endpoint.html", "events/_delivery_log.html", context
    )


@never_cache
@require_http_methods(["GET", "POST"])
@role_required(Role.HR_ADMIN)
def webhook_secret_rotate(request: HttpRequest, org_slug: str, endpoint_id: int) -> HttpResponse:
    endpoint = selectors.endpoint_get(endpoint_id=endpoint_id)
    confirm = reauthentication_redirect(request)
    if confirm is not None:
        return confirm

    def rotate() -> HttpResponse:
        secret = services.endpoint_secret_rotate(endpoint=endpoint, actor=request.user)
        return _secret_page(request, endpoint=endpoint, secret=secret, rotated=True)

    return confirm_then_act(
        request,
        template="events/secret_rotate.html",
        context={"endpoint": endpoint},
        act=rotate,
    )


@require_http_methods(["GET", "POST"])
@role_required(Role.HR_ADMIN)
def webhook_disable(request: HttpRequest, org_slug: str, endpoint_id: int) -> HttpResponse:
    endpoint = selectors.endpoint_get(endpoint_id=endpoint_id)
    confirm = reauthentication_redirect(request)
    if confirm is not None:
        return confirm

    def disable() -> HttpResponse:
        services.endpoint_disable(endpoint=endpoint, actor=request.user)
        messages.success(request, _("The endpoint is off: events wait until you turn it on."))
        return redirect("webhook_endpoint", org_slug=org_slug, endpoint_id=endpoint.pk)

    return confirm_then_act(
        request,
        template="events/endpoint_disable.html",
        context={"endpoint": endpoint},
        act=disable,
    )


@require_POST
@role_required(Role.HR_ADMIN)
def webhook_enable(request: HttpRequest, org_slug: str, endpoint_id: int) -> HttpResponse:
    endpoint = selectors.endpoint_get(endpoint_id=endpoint_id)
    confirm = reauthentication_redirect(request)
    if confirm is not None:
        return confirm
    try:
        resumed = services.endpoint_enable(endpoint=endpoint, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join([_("The endpoint stays off."), error_text(exc)]))
    else:
        message = (
            ngettext(
                "The endpoint is on. %(count)s waiting event is being sent.",
                "The endpoint is on. %(count)s waiting events are being sent.",
                resumed,
            )
            % {"count": resumed}
            if resumed
            else _("The endpoint is on.")
        )
        messages.success(request, message)
    return redirect("webhook_endpoint", org_slug=org_slug, endpoint_id=endpoint.pk)


@require_http_methods(["GET", "POST"])
@role_required(Role.HR_ADMIN)
def webhook_delete(request: HttpRequest, org_slug: str, endpoint_id: int) -> HttpResponse:
    endpoint = selectors.endpoint_get(endpoint_id=endpoint_id)
    confirm = reauthentication_redirect(request)
    if confirm is not None:
        return confirm

    def delete() -> HttpResponse:
        label = str(endpoint)
        services.endpoint_delete(endpoint=endpoint, actor=request.user)
        messages.success(
            request,
            _("The endpoint %(endpoint)s is deleted: nothing more is sent to it.")
            % {"endpoint": label},
        )
        return redirect("webhooks", org_slug=org_slug)

    return confirm_then_act(
        request,
        template="events/endpoint_delete.html",
        context={"endpoint": endpoint},
        act=delete,
    )


@require_POST
@role_required(Role.HR_ADMIN)
def webhook_test(request: HttpRequest, org_slug: str, endpoint_id: int) -> HttpResponse:
    endpoint = selectors.endpoint_get(endpoint_id=endpoint_id)
    confirm = reauthentication_redirect(request)
    if confirm is not None:
        return confirm
    try:
        services.endpoint_send_test(endpoint=endpoint, actor=request.user)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Test event sent: its outcome is at the top of the log below."))
    return redirect("webhook_endpoint", org_slug=org_slug, endpoint_id=endpoint.pk)


@require_POST
@role_required(Role.HR_ADMIN)
def webhook_redeliver(
    request: HttpRequest, org_slug: str, endpoint_id: int, delivery_id: int
) -> HttpResponse:
    endpoint = selectors.endpoint_get(endpoint_id=endpoint_id)
    delivery = selectors.delivery_get(endpoint=endpoint, delivery_id=delivery_id)
    confirm = reauthentication_redirect(request)
    if confirm is not None:
        return confirm
    try:
        services.delivery_redeliver(delivery=delivery, actor=request.user)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(
            request,
            _("Event %(id)s sent again (same webhook-id).") % {"id": delivery.event.message_id},
        )
    return redirect("webhook_endpoint", org_slug=org_slug, endpoint_id=endpoint.pk)
