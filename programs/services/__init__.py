"""Writes of the programs app, one module per noun: ``topics``, ``programs``, ``configs``
(exported configurations), ``sponsors``, ``participants``, ``objectives``, ``training`` and
``imports`` (the participant CSV writer). Every function runs inside the organisation's scope.
Import the noun module: ``from programs.services import topics as topic_services``."""
