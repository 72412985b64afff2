from django.apps import AppConfig


class PairingsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "pairings"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from mentorship.models import Membership, User
        from mentorship.signals import member_removed
        from pairings import privacy, receivers
        from programs.privacy import register_personal_data

        register_personal_data(privacy.CONTRIBUTOR)
        member_removed.connect(receivers.revoke_calendar_feed, dispatch_uid="pairings.feed")
        post_save.connect(
            receivers.revoke_feed_of_removed_membership,
            sender=Membership,
            dispatch_uid="pairings.feed.membership",
        )
        post_save.connect(
            receivers.revoke_feeds_of_deactivated_account,
            sender=User,
            dispatch_uid="pairings.feed.user",
        )
