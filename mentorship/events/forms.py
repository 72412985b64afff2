"""The form of Settings → Webhooks. It shapes input; the services validate (the URL's fence,
chat formats' events) and their errors name the field they belong to, so a view hands them
back with ``add_error``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from mentorship.events.models import CHAT_EVENT_TYPES, EventType, WebhookEndpoint


class EventTypesWidget(forms.CheckboxSelectMultiple):
    """Checkboxes marking the events a chat format may receive (``data-chat``), which
    static/js/webhook-form.js leaves alone when Slack or Teams is chosen."""

    def create_option(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option = super().create_option(*args, **kwargs)
        if option["value"] in CHAT_EVENT_TYPES:
            option["attrs"]["data-chat"] = "true"
        return option


class EndpointForm(forms.Form):
    url = forms.CharField(
        label=_("Endpoint URL"),
        max_length=2000,
        widget=forms.URLInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
        help_text=_(
            "Where events are sent, with https://. For Slack or Teams, the webhook URL "
            "they gave you."
        ),
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=200,
        required=False,
        help_text=_("What receives these events, e.g. “HR data warehouse”."),
    )
    format = forms.ChoiceField(
        label=_("Format"),
        choices=WebhookEndpoint.Format.choices,
        initial=WebhookEndpoint.Format.STANDARD,
        widget=forms.Select(attrs={"data-webhook-format": "true"}),
        help_text=_("Slack and Teams receive a short message about program-level events only."),
    )
    event_types = forms.MultipleChoiceField(
        label=_("Events"),
        choices=EventType.choices,
        widget=EventTypesWidget,
        error_messages={"required": _("Choose at least one event.")},
    )

    # On an endpoint's page: the URL it has, which the field shows shortened.
    stored_url: str | None = None

    @classmethod
    def for_endpoint(cls, endpoint: WebhookEndpoint, data: Any = None) -> EndpointForm:
        """The form of an existing endpoint. Its URL is shown as scheme and host only: Slack
        and Teams put the secret that lets anyone post into the path, and a page is easily
        seen, shared or cached. Left as shown, or emptied, the field keeps the stored URL."""
        form = cls(
            data,
            initial={
                "url": endpoint.safe_url,
                "description": endpoint.description,
                "format": endpoint.format,
                "event_types": endpoint.event_types,
            },
        )
        form.stored_url = endpoint.url
        url = form.fields["url"]
        url.required = False
        url.help_text = _(
            "Shown shortened, as the full URL can be a secret (Slack, Teams). Leave it as it "
            "is to keep it, or enter the whole new URL."
        )
        return form

    def clean_url(self) -> str:
        url = self.cleaned_data.get("url", "").strip()
        if self.stored_url is not None and url in ("", self.initial.get("url")):
            return self.stored_url
        return url
