"""The public REST API's kernel: organisation API keys, authentication into the key's tenant
scope, permissions, throttling, JSON errors, cursor pagination, ``updated_since`` and
idempotent writes. Each app owns its serializers and viewsets (``<app>/api.py``); the frame's
router (``mentorship.frame.api``) assembles ``/api/v1/``."""
