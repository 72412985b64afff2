"""Root URLs. Everything an organisation owns lives under ``/o/<org_slug>/``: the frame's home
and dashboards, the kernel's pages and each app's, in that order."""

from django.contrib import admin
from django.urls import include, path

from mentorship import urls as kernel_urls
from mentorship.api import urls as api_key_urls
from mentorship.events import urls as webhook_urls
from mentorship.frame import api
from mentorship.frame.views import dashboards, digest, home
from mentorship.identity import urls as identity_urls
from mentorship.security import protect_operator_admin
from pairings.urls import global_urlpatterns as pairings_global_urlpatterns

# The operator admin signs in through allauth and needs a second factor.
protect_operator_admin(admin.site)

organization_patterns = [
    path("", home.org_home, name="org_home"),
    *kernel_urls.organization_patterns,
    *identity_urls.organization_patterns,
    *api_key_urls.organization_patterns,
    *webhook_urls.organization_patterns,
    path("dashboard/", dashboards.organization_dashboard, name="organization_dashboard"),
    path(
        "dashboard/<slug:table>.csv",
        dashboards.organization_dashboard_csv,
        name="organization_dashboard_csv",
    ),
    path(
        "programs/<slug:program_slug>/dashboard/",
        dashboards.program_dashboard,
        name="program_dashboard",
    ),
    path(
        "programs/<slug:program_slug>/dashboard/<slug:table>.csv",
        dashboards.program_dashboard_csv,
        name="program_dashboard_csv",
    ),
    path("dashboard/digest/", digest.digest_settings, name="digest_settings"),
    path("", include("programs.urls")),
    path("", include("pairings.urls")),
    path("", include("feedback.urls")),
]

urlpatterns = [
    path("", home.home, name="home"),
    # Before allauth's "accounts/": the kernel's own page under it (sign-ins) must win.
    *kernel_urls.urlpatterns,
    # Single sign-on's own pages (discovery, /o/<slug>/sso/ for people not signed in yet).
    *identity_urls.sso_patterns,
    path("accounts/", include("allauth.urls")),
    # SCIM 2.0: the bearer token, not the URL, names the organisation.
    path("scim/v2/", include(identity_urls.scim_patterns)),
    path("admin/", admin.site.urls),
    # The REST API: the key in the Authorization header, not the URL, names the organisation.
    *api.urlpatterns,
    path("o/<slug:org_slug>/", include(organization_patterns)),
    # Calendar apps fetch the personal feed without a session: its secret token is the key.
    *pairings_global_urlpatterns,
]
