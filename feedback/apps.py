from django.apps import AppConfig

from mentorship.signals import anonymity_threshold_changed
from programs.signals import participants_approved, program_closed


class FeedbackConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "feedback"

    def ready(self) -> None:
        # These modules import models (feedback's and programs'), which cannot be imported
        # before the app registry is ready: importing them here, once it is, is what ready()
        # is for (AppRegistryNotReady at the top of this module), not a guard against a cycle.
        from feedback import privacy, receivers
        from programs.privacy import register_personal_data

        program_closed.connect(receivers.open_end_of_program_survey, dispatch_uid="feedback.end")
        participants_approved.connect(receivers.wake_open_cycles, dispatch_uid="feedback.wake")
        anonymity_threshold_changed.connect(
            receivers.narrow_release_plans, dispatch_uid="feedback.narrow"
        )
        register_personal_data(privacy.CONTRIBUTOR)
