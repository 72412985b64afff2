"""``/healthz`` for load balancers and operators."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from mentorship.celery import app as celery_app


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        return False


def _broker_ok() -> bool:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=2)
        return True
    except Exception:
        return False


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 while the database answers; the broker is reported, not required (the database is
    the source of truth and dispatchers catch up once the broker is back)."""
    database = _database_ok()
    body = {
        "status": "ok" if database else "down",
        "database": "ok" if database else "down",
        "broker": "ok" if _broker_ok() else "down",
    }
    return JsonResponse(body, status=200 if database else 503)
