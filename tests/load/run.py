"""`make load`: concurrent signed-in users against gunicorn on PostgreSQL + Redis.

1. Recreates its own database and empties its own Redis database (``LOAD_DATABASE_URL``,
   default ``postgres://postgres@127.0.0.1:5432/load_db``; ``LOAD_REDIS_URL``, default
   ``redis://127.0.0.1:6379/7``). They are not read from ``DATABASE_URL``/``REDIS_URL`` on
   purpose: the run wipes them, and those usually name the database ``make run`` works in.
2. Migrates and seeds: ``seed_demo``, then ``seed_scale --org bench`` with
   ``LOAD_PARTICIPANTS`` people (default 2,000).
3. Starts ``gunicorn mentorship.wsgi`` (``LOAD_WORKERS`` x ``LOAD_THREADS``, default 4 x 2) on
   127.0.0.1:``LOAD_PORT`` (8077) with the production settings: DEBUG off, plain HTTP allowed by
   ``SECURE_SSL_REDIRECT=0`` (TLS is the proxy's job; the client sends the Secure cookies back to
   the loopback as browsers do). Static files are not requested (``STATIC_MANIFEST=0``: no
   collectstatic needed).
4. Waits for /healthz, then runs locust headless (``tests/load/locustfile.py``): ``LOAD_USERS``
   (32) users, 4 HR admins, 4 sponsors and the rest participants, started ``LOAD_SPAWN_RATE``
   (8) a second; each signs in through the form, then browses for ``LOAD_SECONDS`` (60).
5. Prints requests, failures, requests/s, p50 and p99 per page and in total, and the sign-ins
   apart; stops gunicorn, drops the database (``LOAD_KEEP_DB=1`` keeps it) and empties Redis.

Exits 1 on any 5xx, connection error, failed sign-in or other failed request. Logs and the CSV
files of locust stay in ``var/load/``.
"""

from __future__ import annotations

import csv
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "var" / "load"
BIN = Path(sys.executable).parent
ORG = "bench"
PASSWORD = "P"
# Databases of other work on this machine: never dropped, whatever LOAD_DATABASE_URL says.
PROTECTED = {"mentorship", "test_mentorship", "scale_seed", "benchdb", "postgres"}


def setting(name: str, default: str) -> str:
    return os.environ.get(name) or default


DATABASE_URL = setting("LOAD_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/load_db")
REDIS_URL = setting("LOAD_REDIS_URL", "redis://127.0.0.1:6379/7")
PORT = int(setting("LOAD_PORT", "8077"))
USERS = int(setting("LOAD_USERS", "32"))
SPAWN_RATE = setting("LOAD_SPAWN_RATE", "8")
SECONDS = int(setting("LOAD_SECONDS", "60"))
PARTICIPANTS = setting("LOAD_PARTICIPANTS", "2000")
WORKERS = setting("LOAD_WORKERS", "4")
THREADS = setting("LOAD_THREADS", "2")
HOST = f"http://127.0.0.1:{PORT}"


def say(message: str) -> None:
    print(message, flush=True)


def server_env() -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "REDIS_", "EMAIL_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="mentorship.settings",
        DATABASE_URL=DATABASE_URL,
        REDIS_URL=REDIS_URL,
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        SITE_URL=HOST,
        # Plain HTTP on the loopback: no redirect to HTTPS, no HSTS (both env knobs of settings).
        SECURE_SSL_REDIRECT="0",
        SECURE_HSTS_SECONDS="0",
        STATIC_MANIFEST="0",
        # The server's local state (emails written to files, uploads) stays in the run's folder.
        VAR_DIR=str(OUT / "var"),
        LOG_LEVEL="WARNING",
    )
    return env


# --- Database and Redis --------------------------------------------------------------------------


def recreate_database(*, drop_only: bool = False) -> None:
    import psycopg2

    url = urlsplit(DATABASE_URL)
    name = url.path.lstrip("/")
    if url.scheme not in ("postgres", "postgresql", "pgsql"):
        sys.exit(f"LOAD_DATABASE_URL must be a PostgreSQL URL, not {url.scheme}://")
    if not name or name in PROTECTED:
        sys.exit(f"Refusing to drop the database {name!r}: choose another LOAD_DATABASE_URL.")
    connection = psycopg2.connect(
        dbname="postgres",
        user=unquote(url.username or "postgres"),
        password=unquote(url.password or "") or None,
        host=url.hostname or "127.0.0.1",
        port=url.port or 5432,
    )
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()


def empty_redis() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).flushdb()


# --- Processes -----------------------------------------------------------------------------------


def run_step(label: str, args: list[str], env: dict[str, str], log: Path) -> None:
    started = time.monotonic()
    with log.open("a") as out:
        out.write(f"\n$ {' '.join(args)}\n")
        out.flush()
        done = subprocess.run(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    if done.returncode:
        say(log.read_text()[-3000:])
        raise SystemExit(f"{label} failed (exit {done.returncode}); see {log}")
    say(f"  {label}: {time.monotonic() - started:.1f} s")


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def wait_until_healthy(server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            say(log.read_text()[-3000:])
            raise SystemExit("gunicorn stopped during start-up")
        try:
            with urllib.request.urlopen(f"{HOST}/healthz", timeout=2) as response:
                health = json.load(response)
                if health.get("database") == "ok" and health.get("broker") == "ok":
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"{HOST}/healthz did not answer ok within 60 s; see {log}")


def stop(process: subprocess.Popen[bytes] | None) -> None:
    """Stop one process we started, by its id: SIGTERM, then SIGKILL after 15 s."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# --- Report --------------------------------------------------------------------------------------


def report(stats_csv: Path, outcome: dict[str, object]) -> list[str]:
    """Print the table; return the problems that fail the run."""
    with stats_csv.open() as f:
        rows = [r for r in csv.DictReader(f) if int(r["Request Count"]) > 0]
    rows.sort(key=lambda r: (r["Name"] == "Aggregated", r["Name"]))
    width = max(len(r["Name"]) for r in rows)
    say(
        f"\n{'page':<{width}}  {'requests':>8}  {'failures':>8}  {'req/s':>7}  {'p50 ms':>7}  "
        f"{'p99 ms':>7}"
    )
    for r in rows:
        name = "total" if r["Name"] == "Aggregated" else r["Name"]
        say(
            f"{name:<{width}}  {r['Request Count']:>8}  {r['Failure Count']:>8}  "
            f"{float(r['Requests/s']):>7.1f}  {r['50%']:>7}  {r['99%']:>7}"
        )
    total = next(r for r in rows if r["Name"] == "Aggregated")
    sign_in = outcome.get("sign_in") or {}
    say(
        f"\n{USERS} users browsing for {SECONDS} s after signing in: "
        f"{float(total['Requests/s']):.1f} requests/s, p50 {total['50%']} ms, "
        f"p99 {total['99%']} ms, {total['Failure Count']} failed"
    )
    if sign_in:
        say(
            f"Sign-ins beforehand: {sign_in['requests']} in {sign_in['seconds']} s, "
            f"p50 {sign_in['p50_ms']} ms, p99 {sign_in['p99_ms']} ms (form POST and redirects)"
        )
    problems = []
    errors = outcome.get("server_errors") or {}
    if errors:
        problems.append(f"5xx or connection errors: {errors}")
    if outcome.get("failed_sign_ins"):
        problems.append(f"failed sign-ins: {outcome['failed_sign_ins']}")
    if int(total["Failure Count"]):
        problems.append(f"{total['Failure Count']} failed requests (see {OUT}/locust.log)")
    return problems


def main() -> int:
    if not port_is_free(PORT):
        raise SystemExit(f"Port {PORT} is taken: set LOAD_PORT.")
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*"):
        if old.is_file():
            old.unlink()
    env = server_env()
    # Static files are not collected (nor requested); an empty folder keeps WhiteNoise quiet.
    (OUT / "var" / "staticfiles").mkdir(parents=True, exist_ok=True)
    log = OUT / "setup.log"
    started = time.monotonic()
    say(
        f"== make load: {USERS} users for {SECONDS} s; {os.cpu_count()} cores, load average "
        f"{os.getloadavg()[0]:.1f} before the run (above 1, other work skews the figures)"
    )
    say(f"  database {DATABASE_URL} (recreated), Redis {REDIS_URL} (emptied)")
    server: subprocess.Popen[bytes] | None = None
    try:
        recreate_database()
        empty_redis()
        manage = [str(BIN / "python"), "manage.py"]
        run_step("migrate", [*manage, "migrate", "--noinput"], env, log)
        run_step("seed_demo", [*manage, "seed_demo"], env, log)
        run_step(
            f"seed_scale ({PARTICIPANTS} participants)",
            [
                *manage,
                "seed_scale",
                "--org",
                ORG,
                "--participants",
                PARTICIPANTS,
                "--seed",
                "1",
                "--password",
                PASSWORD,
            ],
            env,
            log,
        )
        plan = OUT / "plan.json"
        with plan.open("w") as out:
            subprocess.run(
                [str(BIN / "python"), "-m", "tests.load.plan", ORG, str(USERS)],
                cwd=ROOT,
                env=env,
                stdout=out,
                check=True,
            )

        server_log = OUT / "gunicorn.log"
        with server_log.open("w") as out:
            server = subprocess.Popen(
                [
                    str(BIN / "gunicorn"),
                    "mentorship.wsgi",
                    "-w",
                    WORKERS,
                    "--threads",
                    THREADS,
                    "-b",
                    f"127.0.0.1:{PORT}",
                ],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        wait_until_healthy(server, server_log)
        say(f"  gunicorn ({WORKERS} workers x {THREADS} threads) answering on {HOST}")

        outcome_file = OUT / "outcome.json"
        locust_env = {
            **os.environ,
            "LOAD_PLAN": str(plan),
            "LOAD_PASSWORD": PASSWORD,
            "LOAD_SECONDS": str(SECONDS),
            "LOAD_OUTCOME": str(outcome_file),
        }
        say(f"  locust: signing in {USERS} users, then browsing for {SECONDS} s ...")
        with (OUT / "locust.log").open("w") as out:
            locust = subprocess.run(
                [
                    str(BIN / "locust"),
                    "-f",
                    "tests/load/locustfile.py",
                    "--headless",
                    "-u",
                    str(USERS),
                    "-r",
                    SPAWN_RATE,
                    "-t",
                    f"{SECONDS + 120}s",
                    "--host",
                    HOST,
                    "--csv",
                    str(OUT / "locust"),
                    "--only-summary",
                ],
                cwd=ROOT,
                env=locust_env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        stop(server)
        outcome = json.loads(outcome_file.read_text()) if outcome_file.exists() else {}
        problems = report(OUT / "locust_stats.csv", outcome)
        if locust.returncode and not problems:
            problems.append(f"locust exited with {locust.returncode} (see {OUT}/locust.log)")
        if not outcome.get("sign_in") and not problems:
            problems.append(f"not every user signed in (see {OUT}/locust.log)")
    finally:
        stop(server)
        if os.environ.get("LOAD_KEEP_DB") != "1":
            recreate_database(drop_only=True)
        empty_redis()
    say(f"== done in {time.monotonic() - started:.0f} s")
    for problem in problems:
        say(f"FAILED: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
