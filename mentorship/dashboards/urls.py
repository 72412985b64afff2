from django.urls import path

from mentorship.dashboards import digest_views, views

urlpatterns = [
    path("dashboard/", views.organization_dashboard, name="organization_dashboard"),
    path(
        "dashboard/<slug:table>.csv",
        views.organization_dashboard_csv,
        name="organization_dashboard_csv",
    ),
    path(
        "programs/<slug:program_slug>/dashboard/",
        views.program_dashboard,
        name="program_dashboard",
    ),
    path(
        "programs/<slug:program_slug>/dashboard/<slug:table>.csv",
        views.program_dashboard_csv,
        name="program_dashboard_csv",
    ),
    path("dashboard/digest/", digest_views.digest_settings, name="digest_settings"),
]
