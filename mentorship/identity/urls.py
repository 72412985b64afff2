"""URLs of enterprise identity, in one module above its subpackages (``sso``, ``scim``) so that
the views they import never import their own URL module back.

- ``organization_patterns``: the settings pages and the connection test (inside ``/o/<slug>/``,
  HR admins);
- ``sso_patterns``: discovery and ``/o/<slug>/sso/`` (global: the visitor is not signed in yet,
  so the tenancy middleware must not send them to sign in; hence ``slug``, not ``org_slug``);
- ``scim_patterns``: the SCIM 2.0 endpoint, mounted at ``/scim/v2/``: the bearer token, not the
  URL, names the organisation. Resource ids are our own UUIDs, never database keys.
"""

from django.urls import URLPattern, path, re_path

from mentorship.identity.views import (
    domains,
    provisioning,
    scim,
    sign_in,
    sso_settings,
    sso_test,
)

organization_patterns = [
    path("settings/sso/", sso_settings.sso_settings, name="sso_settings"),
    path("settings/sso/turn-off/", sso_settings.sso_turn_off, name="sso_turn_off"),
    path("settings/sso/test/", sso_test.sso_test, name="sso_test"),
    path("settings/domains/", domains.domains, name="claimed_domains"),
    path(
        "settings/domains/<int:domain_id>/release/",
        domains.domain_release,
        name="domain_release",
    ),
    path("settings/provisioning/", provisioning.provisioning, name="provisioning"),
    path(
        "settings/provisioning/tokens/<int:token_id>/revoke/",
        provisioning.scim_token_revoke_view,
        name="scim_token_revoke",
    ),
    path(
        "settings/provisioning/groups/<int:group_id>/role/",
        provisioning.scim_group_role,
        name="scim_group_role",
    ),
]

sso_patterns = [
    path("sso/", sign_in.sso_discover, name="sso_discover"),
    path("o/<slug:slug>/sso/", sign_in.sso_start, name="sso_start"),
    # Mounted before allauth's "accounts/", so these shadow three of its SAML pages and its
    # OpenID Connect callback (see views.sign_in); "<str:>" matches what allauth's "[^/]+"
    # does. Same names as allauth's: its ACS redirects by one, the adapter serves metadata by
    # another, and each reverses to the same URL as allauth's would.
    path(
        "accounts/saml/<str:organization_slug>/acs/finish/",
        sign_in.saml_finish_acs,
        name="saml_finish_acs",
    ),
    path(
        "accounts/saml/<str:organization_slug>/metadata/",
        sign_in.saml_metadata,
        name="saml_metadata",
    ),
    path(
        "accounts/oidc/<str:provider_id>/login/callback/",
        sign_in.oidc_callback,
        name="openid_connect_callback",
    ),
    path(
        "accounts/saml/<str:organization_slug>/sls/",
        sign_in.saml_single_logout,
        name="saml_sls_disabled",
    ),
]

scim_patterns: list[URLPattern] = [
    path(
        "ServiceProviderConfig",
        scim.service_provider_config,
        name="scim_service_provider_config",
    ),
    path("ResourceTypes", scim.resource_types_collection, name="scim_resource_types"),
    path("ResourceTypes/<str:name>", scim.resource_type_detail, name="scim_resource_type"),
    path("Schemas", scim.schemas_collection, name="scim_schemas"),
    path("Schemas/<str:schema_id>", scim.schema_detail, name="scim_schema"),
    path("Users", scim.users_collection, name="scim_users"),
    path("Users/<str:scim_id>", scim.user_detail, name="scim_user"),
    path("Groups", scim.groups_collection, name="scim_groups"),
    path("Groups/<str:scim_id>", scim.group_detail, name="scim_group"),
    path(".search", scim.search, name="scim_search"),
    # Anything else under /scim/v2/ is a SCIM 404 (an error body, not the site's HTML page).
    re_path(r"^.*$", scim.unknown, name="scim_unknown"),
]
