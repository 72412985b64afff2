"""URLs of the feedback app, included under /o/<org_slug>/."""

from django.urls import path

from feedback.views import answers, concerns, cycles, results, templates

P = "programs/<slug:program_slug>/feedback/"

urlpatterns = [
    path("surveys/<int:survey_id>/", answers.survey_answer, name="survey_answer"),
    path("pairs/<int:pairing_id>/after-session/", answers.after_session, name="after_session"),
    path("surveys/", templates.templates, name="survey_templates"),
    path("surveys/templates/<int:template_id>/", templates.template_edit, name="survey_template"),
    path(
        "surveys/templates/<int:template_id>/remove-question/",
        templates.question_remove,
        name="survey_question_remove",
    ),
    path("concerns/", concerns.concerns, name="concerns"),
    path("concerns/new/", concerns.concern_new, name="concern_new"),
    path("concerns/<int:concern_id>/resolve/", concerns.concern_resolve, name="concern_resolve"),
    path(P, cycles.cycles, name="feedback_cycles"),
    path(P + "<int:cycle_id>/", results.cycle_results, name="feedback_results"),
    path(P + "<int:cycle_id>/results.csv", results.cycle_results_csv, name="feedback_results_csv"),
]
