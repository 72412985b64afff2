from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "feedback"

    def ready(self) -> None:
        from feedback import privacy, receivers
        from mentorship.signals import anonymity_threshold_changed
        from programs.privacy import register_personal_data
        from programs.services import program_closed

        program_closed.connect(receivers.open_end_of_program_survey, dispatch_uid="feedback.end")
        anonymity_threshold_changed.connect(
            receivers.narrow_release_plans, dispatch_uid="feedback.narrow"
        )
        register_personal_data(privacy.CONTRIBUTOR)
