from django.apps import AppConfig


class PairingsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "pairings"

    def ready(self) -> None:
        from mentorship.signals import member_removed
        from pairings import privacy, receivers
        from programs.privacy import register_personal_data

        register_personal_data(privacy.CONTRIBUTOR)
        member_removed.connect(receivers.revoke_calendar_feed, dispatch_uid="pairings.feed")
