from django.apps import AppConfig


class FrameConfig(AppConfig):
    """The frame: root URLs, home pages, dashboards, the digest and the seeding commands. It sits
    on top of the apps and nothing imports it. An app of its own (no models) so that Django finds
    its management commands and Celery its ``tasks`` module."""

    name = "mentorship.frame"
    label = "frame"
    verbose_name = "Frame: home pages, dashboards, digest"
