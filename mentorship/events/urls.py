"""Settings pages (inside ``/o/<slug>/``, HR admins)."""

from django.urls import URLPattern, path

from mentorship.events.views import webhooks

organization_patterns: list[URLPattern] = [
    path("settings/webhooks/", webhooks.webhooks, name="webhooks"),
    path(
        "settings/webhooks/<int:endpoint_id>/",
        webhooks.webhook_endpoint,
        name="webhook_endpoint",
    ),
    path(
        "settings/webhooks/<int:endpoint_id>/rotate/",
        webhooks.webhook_secret_rotate,
        name="webhook_secret_rotate",
    ),
    path(
        "settings/webhooks/<int:endpoint_id>/disable/",
        webhooks.webhook_disable,
        name="webhook_disable",
    ),
    path(
        "settings/webhooks/<int:endpoint_id>/enable/",
        webhooks.webhook_enable,
        name="webhook_enable",
    ),
    path(
        "settings/webhooks/<int:endpoint_id>/delete/",
        webhooks.webhook_delete,
        name="webhook_delete",
    ),
    path(
        "settings/webhooks/<int:endpoint_id>/test/",
        webhooks.webhook_test,
        name="webhook_test",
    ),
    path(
        "settings/webhooks/<int:endpoint_id>/deliveries/<int:delivery_id>/redeliver/",
        webhooks.webhook_redeliver,
        name="webhook_redeliver",
    ),
]
