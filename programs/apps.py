from django.apps import AppConfig


class ProgramsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "programs"

    def ready(self) -> None:
        from mentorship.signals import member_joined
        from programs import receivers

        member_joined.connect(receivers.link_participants, dispatch_uid="programs.link")
