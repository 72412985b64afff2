from django.apps import AppConfig


class IdentityConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "mentorship.identity"
    label = "identity"
    verbose_name = "Single sign-on and provisioning"
