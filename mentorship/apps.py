from django.apps import AppConfig


class MentorshipConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "mentorship"
    verbose_name = "Mentorship core"

    def ready(self) -> None:
        # Receivers only translate auth signals into audit-service calls.
        from mentorship import signals  # noqa: F401
