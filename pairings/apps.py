from django.apps import AppConfig
from django.db.models.signals import post_save

from mentorship.signals import member_removed
from programs.signals import quiet_close_changed, reminder_offsets_changed


class PairingsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "pairings"

    def ready(self) -> None:
        # Here, not at the top: these import models, which cannot load while the app registry
        # is being populated (this module is imported to populate it).
        from mentorship.models import Membership, User
        from pairings import privacy, receivers, reminders, selectors, tallies
        from pairings.models import Pairing
        from programs.privacy import register_personal_data
        from programs.references import objective_reference_register, topic_reference_register
        from programs.tallies import counter_register, in_active_pair_register

        register_personal_data(privacy.CONTRIBUTOR)
        # The dashboards' live totals: who is in an active pair, and the active pairs.
        in_active_pair_register(selectors.active_pairs, people=("mentor", "mentee"))
        counter_register(tallies.PAIRS)
        # A topic merge moves these too (programs never names pairings' relations).
        topic_reference_register("pairings.SessionLog.topics", receivers.session_log_topics_move)
        topic_reference_register("pairings.TopicWeek.topic", receivers.topic_weeks_move)
        objective_reference_register(
            "pairings.SessionLog.objectives", receivers.session_log_objectives_move
        )
        member_removed.connect(receivers.revoke_calendar_feed, dispatch_uid="pairings.feed")
        member_removed.connect(
            receivers.cancel_meetings_of_removed_member, dispatch_uid="pairings.meetings"
        )
        member_removed.connect(
            receivers.withdraw_proposals_of_removed_member, dispatch_uid="pairings.proposals"
        )
        reminder_offsets_changed.connect(
            receivers.meetings_follow_reminder_offsets, dispatch_uid="pairings.offsets"
        )
        quiet_close_changed.connect(
            receivers.quiet_checks_follow_program, dispatch_uid="pairings.quiet_close_setting"
        )
        # The reminder pass signals a pair whose closing notice ran out; the service closes it.
        reminders.quiet_pair_expired.connect(
            receivers.close_quiet_pair, sender=Pairing, dispatch_uid="pairings.quiet_close"
        )
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
