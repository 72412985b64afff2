"""URLs of the feedback app, included under /o/<org_slug>/."""

from django.urls import path

from feedback import views, views_concerns, views_results, views_templates

P = "programs/<slug:program_slug>/feedback/"

urlpatterns = [
    path("surveys/<int:survey_id>/", views.survey_answer, name="survey_answer"),
    path("pairs/<int:pairing_id>/after-session/", views.after_session, name="after_session"),
    path("surveys/", views_templates.templates, name="survey_templates"),
    path(
        "surveys/templates/<int:template_id>/",
        views_templates.template_edit,
        name="survey_template",
    ),
    path(
        "surveys/templates/<int:template_id>/remove-question/",
        views_templates.question_remove,
        name="survey_question_remove",
    ),
    path("concerns/", views_concerns.concerns, name="concerns"),
    path("concerns/new/", views_concerns.concern_new, name="concern_new"),
    path(
        "concerns/<int:concern_id>/resolve/", views_concerns.concern_resolve, name="concern_resolve"
    ),
    path(P, views_results.cycles, name="feedback_cycles"),
    path(P + "<int:cycle_id>/", views_results.cycle_results, name="feedback_results"),
    path(
        P + "<int:cycle_id>/results.csv",
        views_results.cycle_results_csv,
        name="feedback_results_csv",
    ),
]
