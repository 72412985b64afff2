from django.apps import AppConfig


class IdentityConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "mentorship.identity"
    label = "identity"
    verbose_name = "Single sign-on and provisioning"

    def ready(self) -> None:
        # Sign-in receivers (just-in-time accounts, directory attributes, the break-glass audit).
        # Imported here, not at the top: they import models, not loaded yet when this module is.
        from mentorship.identity.sso import receivers  # noqa: F401
