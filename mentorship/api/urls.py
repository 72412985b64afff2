"""Settings pages (inside ``/o/<slug>/``, HR admins). A key is named by its prefix (shown in
Settings): its primary key holds the hash."""

from django.urls import URLPattern, path

from mentorship.api.views import keys

organization_patterns: list[URLPattern] = [
    path("settings/api-keys/", keys.api_keys, name="api_keys"),
    path(
        "settings/api-keys/<str:prefix>/revoke/",
        keys.api_key_revoke_view,
        name="api_key_revoke",
    ),
]
