"""WSGI entry point for gunicorn (and ``runserver``, which loads ``WSGI_APPLICATION``)."""

import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

from mentorship.statement_timeout import limit_statements

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mentorship.settings")

application = get_wsgi_application()

# Web processes only: one slow query must not hold a web worker. Workers, beat and management
# commands never import this module, so their long statements run unlimited.
limit_statements(seconds=settings.STATEMENT_TIMEOUT_SECONDS)
