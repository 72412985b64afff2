from django.apps import AppConfig


class PairingsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "pairings"

    def ready(self) -> None:
        from pairings import privacy
        from programs.privacy import register_personal_data

        register_personal_data(privacy.CONTRIBUTOR)
