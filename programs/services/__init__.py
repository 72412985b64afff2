"""Writes of the programs app, one module per noun: ``topics``, ``programs``, ``configs``
(exported configurations), ``sponsors``, ``participants``, ``objectives``, ``training``,
``imports`` (the participant CSV writer), ``upserts`` (the same writer for the API's JSON) and
``webhooks`` (the events the others emit). Every function runs inside the organisation's scope.
Import the noun module: ``from programs.services import topics as topic_services``."""
