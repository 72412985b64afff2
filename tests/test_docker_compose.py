"""docker-compose.yml runs the shape the README promises: a proxy in front of two web processes,
two workers and exactly one beat, all from the one image, every long-running service with a
health check, and nothing but the proxy reachable from other machines.

``make compose-check`` (CI) validates the file against Compose's schema; these tests read it as
Compose does (anchors and merge keys resolved) and check what it means, with no Docker engine."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from django.urls import resolve

ROOT = Path(__file__).resolve().parent.parent
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
# The proxy's configuration without its comments.
CADDYFILE = re.sub(r"#.*", "", (ROOT / "deploy" / "Caddyfile").read_text())
GUNICORN_PORT = "8000"


def _command(name: str) -> str:
    command = SERVICES[name].get("command", "")
    return command if isinstance(command, str) else " ".join(command)


def _running(pattern: str) -> list[str]:
    return sorted(name for name in SERVICES if re.search(pattern, _command(name)))


WEB = _running(r"^gunicorn\b")
WORKERS = _running(r"^celery\b.*\bworker\b")
BEATS = _running(r"^celery\b.*\bbeat\b")
APP = [*WEB, *WORKERS, *BEATS, "migrate"]


def _health_test(name: str) -> str:
    test = SERVICES[name].get("healthcheck", {}).get("test", [])
    return test if isinstance(test, str) else " ".join(test)


def _default(value: str) -> str:
    """The default of a ``${NAME:-default}`` value, or the value itself."""
    match = re.fullmatch(r"\$\{\w+:-(.*)\}", value)
    return match.group(1) if match else value


def test_two_web_processes_two_workers_and_exactly_one_beat() -> None:
    assert WEB == ["web-1", "web-2"]
    assert WORKERS == ["worker-1", "worker-2"]
    # Two beats would run every dispatcher twice a minute (README: why beat stays single).
    assert BEATS == ["beat"]
    assert SERVICES["beat"]["deploy"]["replicas"] == 1


def test_every_app_service_runs_the_one_image() -> None:
    images = {(SERVICES[name]["build"], SERVICES[name]["image"]) for name in APP}
    assert images == {(".", "reverse-mentoring:latest")}


def test_migrations_run_once_and_before_any_web_process_worker_or_beat() -> None:
    assert _command("migrate") == "python manage.py migrate --noinput"
    assert SERVICES["migrate"]["restart"] == "no"
    for name in [*WEB, *WORKERS, *BEATS]:
        assert SERVICES[name]["depends_on"] == {
            "postgres": {"condition": "service_healthy"},
            "redis": {"condition": "service_healthy"},
            "migrate": {"condition": "service_completed_successfully"},
        }, name


def test_every_long_running_service_has_a_health_check() -> None:
    long_running = [name for name in SERVICES if SERVICES[name].get("restart") != "no"]
    assert set(long_running) == set(SERVICES) - {"migrate"}
    for name in long_running:
        assert _health_test(name).startswith(("CMD ", "CMD-SHELL ")), name


def test_only_the_proxy_can_be_reached_from_other_machines() -> None:
    published = {name: SERVICES[name].get("ports", []) for name in SERVICES}
    assert published.pop("proxy") == ["${PROXY_PORT:-8000}:80"]
    for name, ports in published.items():
        # The mail catcher's page is for this machine only; nothing else is published.
        assert all(port.startswith("127.0.0.1:") for port in ports), name
    assert not any(published[name] for name in APP)


def test_the_proxy_balances_over_every_web_process_and_checks_its_healthz() -> None:
    upstreams = re.search(r"^\s*reverse_proxy ([^{]+)\{", CADDYFILE, re.MULTILINE)
    assert upstreams is not None
    assert sorted(upstreams.group(1).split()) == [f"{name}:{GUNICORN_PORT}" for name in WEB]
    for name in WEB:
        assert f"--bind 0.0.0.0:{GUNICORN_PORT}" in _command(name)
        assert f"127.0.0.1:{GUNICORN_PORT}/healthz" in _health_test(name)
    assert re.search(r"^\s*health_uri /healthz$", CADDYFILE, re.MULTILINE)
    assert resolve("/healthz").url_name == "healthz"
    assert "./deploy/Caddyfile:/etc/caddy/Caddyfile:ro" in SERVICES["proxy"]["volumes"]


def test_the_app_believes_forwarded_headers_because_the_proxy_overwrites_them() -> None:
    """Caddy replaces a client's X-Forwarded-For/-Proto unless the client is a trusted proxy;
    with none configured, exactly one forwarded address is ours to believe."""
    assert "trusted_proxies" not in CADDYFILE
    for name in APP:
        environment = SERVICES[name]["environment"]
        assert environment["TRUST_X_FORWARDED_PROTO"] == "1"
        assert _default(environment["TRUSTED_PROXY_COUNT"]) == "1"


def test_each_worker_has_its_own_node_name_and_its_health_check_pings_it() -> None:
    hostnames = [SERVICES[name]["hostname"] for name in WORKERS]
    assert len(set(hostnames)) == len(WORKERS)
    for name in WORKERS:
        # "$$" reaches the container as "$": the shell expands the worker's own hostname.
        assert "inspect ping -d celery@$$HOSTNAME" in _health_test(name)


def test_beats_health_check_watches_the_schedule_file_beat_writes() -> None:
    schedule = re.search(r"--schedule (\S+)", _command("beat"))
    assert schedule is not None
    assert f"glob.glob('{schedule.group(1)}*')" in _health_test("beat")
