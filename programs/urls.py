"""URLs of the programs app, included under /o/<org_slug>/."""

from django.urls import path

from programs.views import (
    availability,
    guides,
    imports,
    people,
    privacy,
    programs,
    topics,
    training,
)

P = "programs/<slug:program_slug>/"

urlpatterns = [
    path("programs/", programs.program_list, name="program_list"),
    path("programs/new/", programs.program_new, name="program_new"),
    path("programs/import/", programs.program_import, name="program_import"),
    path(P, programs.program_detail, name="program_detail"),
    path(P + "edit/", programs.program_edit, name="program_edit"),
    path(P + "duplicate/", programs.program_duplicate, name="program_duplicate"),
    path(P + "archive/", programs.program_archive, name="program_archive"),
    path(P + "status/<str:target>/", programs.program_transition, name="program_transition"),
    path(P + "export/", programs.program_export, name="program_export"),
    path(P + "sponsors/", programs.program_sponsors, name="program_sponsors"),
    path(P + "participants/", people.directory, name="participant_directory"),
    path(P + "participants/add/", people.participant_add, name="participant_add"),
    path(P + "participants/import/", imports.import_upload, name="import_upload"),
    path(P + "participants/import/<int:job_id>/", imports.import_job, name="import_job"),
    path(
        P + "participants/import/<int:job_id>/confirm/",
        imports.import_confirm,
        name="import_confirm",
    ),
    path(
        P + "participants/<int:participant_id>/",
        people.participant_detail,
        name="participant_detail",
    ),
    path(
        P + "participants/<int:participant_id>/decide/",
        people.participant_decide,
        name="participant_decide",
    ),
    path(
        P + "participants/<int:participant_id>/remove/",
        people.participant_remove,
        name="participant_remove",
    ),
    path(
        P + "participants/<int:participant_id>/edit/",
        people.participant_edit,
        name="participant_edit",
    ),
    path(P + "apply/", people.program_apply, name="program_apply"),
    path(P + "me/profile/", people.my_profile, name="my_profile"),
    path(P + "me/", people.my_participation, name="my_participation"),
    path(P + "me/availability/", availability.my_availability, name="my_availability"),
    path(P + "session-plan/", guides.session_plan, name="session_plan"),
    path(P + "session-plan/new/", guides.guide_edit, name="guide_new"),
    path(P + "session-plan/<int:guide_id>/edit/", guides.guide_edit, name="guide_edit"),
    path(P + "session-plan/<int:guide_id>/delete/", guides.guide_delete, name="guide_delete"),
    path(P + "me/withdraw/", people.my_withdraw, name="my_withdraw"),
    path(P + "me/objectives/new/", people.objective_new, name="objective_new"),
    path(P + "me/objectives/<int:objective_id>/", people.objective_edit, name="objective_edit"),
    path(P + "training/", training.training, name="training"),
    path(P + "training/new/", training.module_edit, name="module_new"),
    path(P + "training/<int:module_id>/", training.module_detail, name="module_detail"),
    path(P + "training/<int:module_id>/edit/", training.module_edit, name="module_edit"),
    path(P + "training/<int:module_id>/delete/", training.module_delete, name="module_delete"),
    path(
        P + "training/<int:module_id>/complete/", training.module_complete, name="module_complete"
    ),
    path("topics/", topics.topics, name="topics"),
    path("topics/<int:topic_id>/", topics.topic_edit, name="topic_edit"),
    path("topics/<int:topic_id>/merge/", topics.topic_merge, name="topic_merge"),
    path(
        P + "participants/<int:participant_id>/export.json",
        privacy.participant_export,
        name="participant_export",
    ),
    path(
        P + "participants/<int:participant_id>/erase/",
        privacy.participant_erase,
        name="participant_erase",
    ),
    path("me/personal-data.json", privacy.my_personal_data, name="my_personal_data"),
]
