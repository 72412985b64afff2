from django.apps import AppConfig


class MentorshipConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "mentorship"
    verbose_name = "Mentorship core"

    def ready(self) -> None:
        # Receivers: sign-ins into their records (signals), second-factor changes into ended
        # sessions (authentication).
        from mentorship import authentication, signals  # noqa: F401
