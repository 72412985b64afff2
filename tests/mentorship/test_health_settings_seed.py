"""/healthz, the environment-driven settings, and the idempotent demo seed."""

from __future__ import annotations

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from mentorship.celery import app as celery_app
from mentorship.models import Membership, Organization, User
from mentorship.tenancy import across_all_organizations

ROOT = Path(__file__).resolve().parents[2]


def test_healthz_reports_database_and_broker(client, db) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}


def test_healthz_reports_a_broker_that_is_down_and_still_answers(client, db, monkeypatch) -> None:
    monkeypatch.setattr(celery_app.conf, "broker_url", "redis://127.0.0.1:1/0")
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["broker"] == "down"


def _settings_probe(env: dict[str, str], code: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {"SECRET_KEY", "ALLOWED_HOSTS", "DEBUG", "REDIS_URL", "DATABASE_URL", "EMAIL_URL"}
    }
    clean.update(env, DJANGO_SETTINGS_MODULE="mentorship.settings", VAR_DIR=str(ROOT / "var"))
    return subprocess.run(
        [
            sys.executable,
            "-c",
            f"import django; django.setup(); from django.conf import settings; {code}",
        ],
        env=clean,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS"])
def test_production_refuses_to_start_without_secrets(missing: str) -> None:
    env = {"SECRET_KEY": "x" * 50, "ALLOWED_HOSTS": "example.org"}
    del env[missing]
    result = _settings_probe(env, "pass")
    assert result.returncode != 0
    assert f"{missing} must be set when DEBUG is off" in result.stderr


def test_debug_runs_on_the_embedded_default() -> None:
    result = _settings_probe(
        {"DEBUG": "1"},
        "print(settings.DATABASES['default']['ENGINE'], settings.CELERY_BROKER_URL,"
        " settings.EMAIL_BACKEND)",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.sqlite3",
        "filesystem://",
        "django.core.mail.backends.filebased.EmailBackend",
    ]


def test_urls_switch_to_postgres_redis_and_smtp() -> None:
    result = _settings_probe(
        {
            "DEBUG": "0",
            "SECRET_KEY": "x" * 50,
            "ALLOWED_HOSTS": "example.org",
            "DATABASE_URL": "postgres://u:p@db:5432/rm",
            "REDIS_URL": "redis://cache:6379/1",
            "EMAIL_URL": "smtp://mail:1025",
            "CSRF_TRUSTED_ORIGINS": "https://rm.example.org",
        },
        "print(settings.DATABASES['default']['ENGINE'], settings.CELERY_BROKER_URL,"
        " settings.CACHES['default']['BACKEND'], settings.EMAIL_HOST,"
        " settings.CSRF_TRUSTED_ORIGINS[0])",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.postgresql",
        "redis://cache:6379/1",
        "mentorship.cache.FailOpenRedisCache",
        "mail",
        "https://rm.example.org",
    ]


def test_seed_demo_is_idempotent_and_resets_passwords(db, client) -> None:
    call_command("seed_demo", "--password", "first-pass-123", stdout=StringIO())
    with across_all_organizations():
        counts = (User.objects.count(), Membership.objects.count(), Organization.objects.count())
    User.objects.filter(email="admin@acme.example").update(password="!")
    call_command("seed_demo", "--password", "second-pass-456", stdout=StringIO())
    with across_all_organizations():
        assert (
            User.objects.count(),
            Membership.objects.count(),
            Organization.objects.count(),
        ) == counts
        consultant = {
            m.organization.slug: m.roles
            for m in Membership.objects.filter(user__email="consultant@example.com")
        }
    assert counts == (2 * 18 + 1, 2 * 18 + 2, 2)
    assert {k: [r.value for r in v] for k, v in consultant.items()} == {
        "acme": ["hr_admin"],
        "globex": ["participant"],
    }
    assert client.login(username="admin@acme.example", password="second-pass-456")
    assert Organization.objects.get(slug="acme").mfa_required is False
