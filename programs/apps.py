from django.apps import AppConfig

from mentorship.signals import member_attributes_changed, member_joined


class ProgramsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "programs"

    def ready(self) -> None:
        # Here, not at the top: these import the models, not loaded yet when this module is.
        from programs import receivers, tallies
        from programs.references import topic_reference_register
        from programs.services import objectives, topics

        member_joined.connect(receivers.link_participants, dispatch_uid="programs.link")
        member_attributes_changed.connect(
            receivers.apply_directory_attributes, dispatch_uid="programs.directory"
        )
        for label, handler in (
            ("programs.Program.topics", topics.program_topics_move),
            ("programs.Participant.offers", topics.offers_move),
            ("programs.Participant.wants", topics.wants_move),
            ("programs.LearningObjective.topic", objectives.objectives_topic_move),
            ("programs.ObjectiveTally.topic", tallies.objective_tallies_topic_move),
        ):
            topic_reference_register(label, handler)
