from django.apps import AppConfig


class MentorshipConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "mentorship"
    verbose_name = "Mentorship core"

    def ready(self) -> None:
        # Receivers: sign-ins into their records (receivers), second-factor changes into ended
        # sessions (authentication). Imported here, not at the top: they import models, which
        # are not loaded yet when this module is.
        from mentorship import authentication, receivers  # noqa: F401
