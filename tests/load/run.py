"""`make load`: concurrent signed-in users against gunicorn on PostgreSQL + Redis.

1. Recreates its own database and empties its own Redis database (``LOAD_DATABASE_URL``,
   default ``postgres://postgres@127.0.0.1:5432/load_db``; ``LOAD_REDIS_URL``, default
   ``redis://127.0.0.1:6379/7``). They are not read from ``DATABASE_URL``/``REDIS_URL`` on
   purpose: the run wipes them, and those usually name the database ``make run`` works in. As a
   guard, the database's name must contain "load" and the Redis database must not be 0.
2. Migrates and seeds the source tree ``LOAD_APP_DIR`` (default: this checkout), so the same
   harness measures an older commit checked out elsewhere (``git worktree add``): ``seed_demo``,
   then ``seed_scale --org bench`` with ``LOAD_PARTICIPANTS`` people (default 20,000, the
   enterprise organisation of the benchmarks; a few minutes, its steps are printed as they end).
   Only the options every ``seed_scale`` has are passed (``--org --participants --seed
   --password``).
3. Starts that tree's ``gunicorn mentorship.wsgi`` (``LOAD_WORKERS`` x ``LOAD_THREADS``, default
   4 x 2) on 127.0.0.1:``LOAD_PORT`` (8077) with the production settings: DEBUG off, plain HTTP
   allowed by ``SECURE_SSL_REDIRECT=0`` (TLS is the proxy's job; the client sends the Secure
   cookies back to the loopback as browsers do). Static files are not requested
   (``STATIC_MANIFEST=0``: no collectstatic needed).
4. Waits for /healthz (``LOAD_START_SECONDS``, default 180), then runs locust headless
   (``tests/load/locustfile.py``): ``LOAD_USERS`` (32) users, 4 HR admins, 4 sponsors and the
   rest participants, started ``LOAD_SPAWN_RATE`` (8) a second; each signs in through the form,
   then browses for ``LOAD_SECONDS`` (60). One anonymous probe asks /healthz five times a second
   all along.
5. Prints, for the browsing seconds, requests, failures, requests/s, p50 and p99 per page, for
   /healthz and in total, each page's p50 as a multiple of /healthz's under the same load, and
   apart: /healthz alone just before the load (50 in a row) and the sign-ins; with the commit
   measured and the load average of the machine before, during and after.
   Stops gunicorn, drops the database (``LOAD_KEEP_DB=1`` keeps it) and empties Redis, also on
   Ctrl-C, SIGTERM or a failure.

Exits 1 on any 5xx, connection error, failed sign-in or other failed request. Logs and the CSV
files of locust stay in ``var/load/`` of this checkout.
"""

from __future__ import annotations

import ctypes
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import unquote, urlsplit

from tests.load.report import percentile, rows, table

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
OUT = ROOT / "var" / "load"
BIN = Path(sys.executable).parent
ORG = "bench"
PASSWORD = "P"
# Databases of other work on this machine: never dropped, whatever LOAD_DATABASE_URL says.
PROTECTED = {"mentorship", "test_mentorship", "scale_seed", "benchdb", "postgres"}
# seed_scale's progress: "  people   12.3 s ..." as each step ends (not its table of rows).
SEED_STEP = re.compile(r"^  \S.*\d\.\d s\b")
FIXED_USERS = 8  # 4 HR admins and 4 sponsors (locustfile.py); the rest are participants


def setting(name: str, default: str) -> str:
    return os.environ.get(name) or default


DATABASE_URL = setting("LOAD_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/load_db")
REDIS_URL = setting("LOAD_REDIS_URL", "redis://127.0.0.1:6379/7")
APP_DIR = Path(setting("LOAD_APP_DIR", str(ROOT))).resolve()
PORT = int(setting("LOAD_PORT", "8077"))
USERS = int(setting("LOAD_USERS", "32"))
SPAWN_RATE = setting("LOAD_SPAWN_RATE", "8")
SECONDS = int(setting("LOAD_SECONDS", "60"))
PARTICIPANTS = setting("LOAD_PARTICIPANTS", "20000")
WORKERS = setting("LOAD_WORKERS", "4")
THREADS = setting("LOAD_THREADS", "2")
START_SECONDS = int(setting("LOAD_START_SECONDS", "180"))
HOST = f"http://127.0.0.1:{PORT}"

# Every process this run starts and has not yet seen end: stopped by id in main()'s finally.
_children: list[subprocess.Popen[Any]] = []


def say(message: str) -> None:
    print(message, flush=True)


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f}, {five:.2f}, {fifteen:.2f}"


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
        # The tree under test, not this checkout, is what Python imports (same .venv).
        PYTHONPATH=str(APP_DIR),
        # Progress lines (seed_scale's steps, locust's "[load]") reach us as they are written.
        PYTHONUNBUFFERED="1",
    )
    return env


def tree_description() -> str:
    """The commit under test, and whether its checkout differs from it (read-only: no lock)."""
    git = ["git", "--no-optional-locks", "-C", str(APP_DIR)]
    try:
        commit = subprocess.run(
            [*git, "log", "-1", "--format=%h %s"], capture_output=True, text=True, check=True
        ).stdout.strip()
        changed = subprocess.run(
            [*git, "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        return f"{APP_DIR} (not a git checkout)"
    dirty = f", plus uncommitted changes to {len(changed)} files" if changed else ""
    return f"{APP_DIR} at {commit[:90]}{dirty}"


# --- Database and Redis --------------------------------------------------------------------------


def database_name() -> str:
    """The name of the database the run recreates and drops; exits unless it is safe to."""
    url = urlsplit(DATABASE_URL)
    name = url.path.lstrip("/")
    if url.scheme not in ("postgres", "postgresql", "pgsql"):
        sys.exit(f"LOAD_DATABASE_URL must be a PostgreSQL URL, not {url.scheme}://")
    if not name or name in PROTECTED or "load" not in name.lower():
        sys.exit(
            f"Refusing to drop the database {name!r}: LOAD_DATABASE_URL must name a database "
            "of its own, with 'load' in its name (e.g. load_db)."
        )
    if os.environ.get("DATABASE_URL") == DATABASE_URL:
        sys.exit("LOAD_DATABASE_URL is DATABASE_URL: the run would wipe it; choose another.")
    return name


def check_redis_url() -> None:
    path = urlsplit(REDIS_URL).path.strip("/")
    if path in ("", "0") or os.environ.get("REDIS_URL") == REDIS_URL:
        sys.exit(
            "Refusing to empty Redis database 0 or REDIS_URL's: set LOAD_REDIS_URL to a "
            "database of its own (e.g. redis://127.0.0.1:6379/7)."
        )


def recreate_database(*, drop_only: bool = False) -> None:
    import psycopg2

    name = database_name()
    url = urlsplit(DATABASE_URL)
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


def _end_with_parent() -> None:
    """In a child, before exec: on Linux, be sent SIGTERM if the run dies without cleaning up
    (even SIGKILL), so no gunicorn is left holding the port."""
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGTERM))  # PR_SET_PDEATHSIG


def start(args: list[str], *, cwd: Path, env: dict[str, str], **kwargs: Any) -> subprocess.Popen:
    process = subprocess.Popen(args, cwd=cwd, env=env, preexec_fn=_end_with_parent, **kwargs)
    _children.append(process)
    return process


def stop(process: subprocess.Popen[Any] | None) -> None:
    """Stop one process we started, by its id: SIGTERM, then SIGKILL after 15 s."""
    if process is None:
        return
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if process in _children:
        _children.remove(process)


def run_logged(
    label: str,
    args: list[str],
    *,
    cwd: Path,
    env: dict[str, str],
    log: Path,
    show: Callable[[str], bool] = lambda line: False,
) -> int:
    """Run a command, its output appended to ``log``; the lines ``show`` picks are printed as
    they come, with the seconds since the start, so a long step shows its progress."""
    started = time.monotonic()
    with log.open("a") as out:
        out.write(f"\n$ {' '.join(args)}\n")
        out.flush()
        process = start(
            args, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        assert process.stdout is not None
        for line in process.stdout:
            out.write(line)
            out.flush()
            if show(line):
                say(f"    [{time.monotonic() - started:5.0f} s] {line.rstrip()}")
        returncode = process.wait()
        _children.remove(process)
    say(f"  {label}: {time.monotonic() - started:.1f} s")
    return returncode


def run_step(label: str, args: list[str], env: dict[str, str], log: Path, **kwargs: Any) -> None:
    if returncode := run_logged(label, args, cwd=APP_DIR, env=env, log=log, **kwargs):
        say(log.read_text()[-3000:])
        raise SystemExit(f"{label} failed (exit {returncode}); see {log}")


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def wait_until_healthy(server: subprocess.Popen[Any], log: Path) -> None:
    started = time.monotonic()
    while time.monotonic() - started < START_SECONDS:
        if server.poll() is not None:
            say(log.read_text()[-3000:])
            raise SystemExit("gunicorn stopped during start-up")
        try:
            with urllib.request.urlopen(f"{HOST}/healthz", timeout=5) as response:
                health = json.load(response)
                if health.get("database") == "ok" and health.get("broker") == "ok":
                    say(f"  gunicorn answered ok after {time.monotonic() - started:.1f} s")
                    return
        except (OSError, ValueError):
            pass
        time.sleep(0.5)
    raise SystemExit(
        f"{HOST}/healthz did not answer ok within {START_SECONDS} s (LOAD_START_SECONDS); see {log}"
    )


def healthz_alone(count: int = 50) -> list[float]:
    """``/healthz`` asked ``count`` times in a row, each on a new connection as the probe does,
    before anyone signs in: how fast the host answers with no queue in front of it, to set
    beside the same check under load."""
    times = []
    for _ in range(count):
        started = time.perf_counter()
        with urllib.request.urlopen(f"{HOST}/healthz", timeout=10) as response:
            response.read()
        times.append((time.perf_counter() - started) * 1000)
    return times


def _terminate(signum: int, frame: FrameType | None) -> None:
    """SIGTERM/SIGHUP end the run as Ctrl-C does: through main()'s finally, which cleans up."""
    raise KeyboardInterrupt(f"signal {signum}")


# --- Report --------------------------------------------------------------------------------------


def report(outcome: dict[str, Any], alone: list[float]) -> list[str]:
    """Print the table; return the problems that fail the run."""
    browse = outcome.get("browse") or {}
    problems = []
    errors = outcome.get("server_errors") or {}
    if errors:
        problems.append(f"5xx or connection errors: {errors}")
    if outcome.get("failed_sign_ins"):
        problems.append(f"failed sign-ins: {outcome['failed_sign_ins']}")
    failures = outcome.get("failures") or {}
    if failures:
        problems.append(f"failed requests: {failures} (see {OUT}/locust.log)")
    if not browse.get("samples") or not browse.get("seconds"):
        problems.append(f"no browsing was measured (see {OUT}/locust.log)")
        return problems
    seconds = browse["seconds"]
    pages, healthz, total = rows(browse["samples"], browse["failures"], seconds)
    say(f"\nBrowsing, {seconds:.1f} s (p50 and p99 exact, in ms; x healthz = p50 / healthz's p50):")
    for line in table(pages, healthz, total):
        say(line)
    ratio = f", {total.p50_ms / healthz.p50_ms:.1f} x healthz" if healthz else ""
    say(
        f"\n{USERS} users browsing for {seconds:.0f} s after signing in: "
        f"{total.per_second:.1f} requests/s, p50 {total.p50_ms:.1f} ms{ratio}, "
        f"p99 {total.p99_ms:.1f} ms, {total.failures} failed"
    )
    if healthz:
        say(
            f"/healthz under the same load: {healthz.per_second:.1f} requests/s, "
            f"p50 {healthz.p50_ms:.1f} ms, p99 {healthz.p99_ms:.1f} ms; alone, just before: "
            f"p50 {percentile(alone, 0.5):.1f} ms, p99 {percentile(alone, 0.99):.1f} ms "
            f"({len(alone)} in a row)"
        )
    else:
        problems.append("/healthz was never answered during the browsing")
    sign_in = outcome.get("sign_in") or {}
    if sign_in:
        say(
            f"Sign-ins beforehand: {sign_in['requests']} in {sign_in['seconds']} s, "
            f"p50 {sign_in['p50_ms']} ms, p99 {sign_in['p99_ms']} ms (form POST and redirects)"
        )
    return problems


# --- The run -------------------------------------------------------------------------------------


def seed(env: dict[str, str], log: Path) -> None:
    manage = [str(BIN / "python"), "manage.py"]
    run_step("migrate", [*manage, "migrate", "--noinput"], env, log)
    run_step("seed_demo", [*manage, "seed_demo"], env, log)
    say(f"  seed_scale: {int(PARTICIPANTS):,} participants, its steps as they end ...")
    run_step(
        f"seed_scale ({PARTICIPANTS} participants)",
        # Only the options every seed_scale has, so an older tree seeds the same way.
        [
            *manage,
            "seed_scale",
            *("--org", ORG, "--participants", PARTICIPANTS),
            *("--seed", "1", "--password", PASSWORD),
        ],
        env,
        log,
        show=lambda line: bool(SEED_STEP.match(line)) or line.startswith(("Seeding", "Done")),
    )


def write_plan(env: dict[str, str], plan: Path) -> None:
    """Who signs in and what they visit, read from the seeded database by the tree under test
    (plan.py run as a file: its imports of the app resolve in LOAD_APP_DIR)."""
    with plan.open("w") as out:
        subprocess.run(
            [str(BIN / "python"), str(HERE / "plan.py"), ORG, str(USERS)],
            cwd=APP_DIR,
            env=env,
            stdout=out,
            check=True,
        )


def run_locust(plan: Path, outcome_file: Path) -> int:
    locust_env = {
        **os.environ,
        "LOAD_PLAN": str(plan),
        "LOAD_PASSWORD": PASSWORD,
        "LOAD_SECONDS": str(SECONDS),
        "LOAD_OUTCOME": str(outcome_file),
        "PYTHONUNBUFFERED": "1",
    }
    say(f"  locust: signing in {USERS} users (load average {load_average()}) ...")
    returncode = run_logged(
        "locust",
        [
            str(BIN / "locust"),
            "-f",
            str(HERE / "locustfile.py"),
            "--headless",
            # One more than the people: the anonymous /healthz probe.
            "-u",
            str(USERS + 1),
            "-r",
            SPAWN_RATE,
            # A cap only (sign-ins took 30 s on a busy host): the locustfile stops SECONDS
            # after the last sign-in.
            "-t",
            f"{SECONDS + 300}s",
            "--host",
            HOST,
            "--csv",
            str(OUT / "locust"),
            "--only-summary",
        ],
        cwd=ROOT,
        env=locust_env,
        log=OUT / "locust.log",
        show=lambda line: line.startswith("[load]"),
    )
    say(f"  load average after browsing: {load_average()}")
    return returncode


def main() -> int:
    database_name()
    check_redis_url()
    if not (APP_DIR / "manage.py").is_file():
        raise SystemExit(f"LOAD_APP_DIR={APP_DIR} has no manage.py")
    if USERS <= FIXED_USERS:
        raise SystemExit(f"LOAD_USERS must be more than {FIXED_USERS} (4 HR admins, 4 sponsors).")
    if not port_is_free(PORT):
        raise SystemExit(f"Port {PORT} is taken: set LOAD_PORT.")
    # Ctrl-C ends the run through main()'s finally even when started where SIGINT is ignored
    # (a shell's background job); SIGTERM and SIGHUP do the same.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGHUP, _terminate)
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
        f"== make load: {USERS} users for {SECONDS} s on {int(PARTICIPANTS):,} participants; "
        f"{os.cpu_count()} cores, load average {load_average()} (1, 5, 15 min) before the run "
        "(above the cores, other work skews the figures; compare ratios to /healthz)"
    )
    say(f"  code: {tree_description()}")
    say(f"  database {DATABASE_URL} (recreated), Redis {REDIS_URL} (emptied)")
    problems: list[str] = []
    try:
        recreate_database()
        empty_redis()
        seed(env, log)
        plan = OUT / "plan.json"
        write_plan(env, plan)

        server_log = OUT / "gunicorn.log"
        with server_log.open("w") as out:
            server = start(
                [
                    str(BIN / "gunicorn"),
                    "mentorship.wsgi",
                    *("-w", WORKERS, "--threads", THREADS, "-b", f"127.0.0.1:{PORT}"),
                ],
                cwd=APP_DIR,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        wait_until_healthy(server, server_log)
        say(f"  gunicorn ({WORKERS} workers x {THREADS} threads) answering on {HOST}")
        alone = healthz_alone()

        outcome_file = OUT / "outcome.json"
        returncode = run_locust(plan, outcome_file)
        stop(server)
        outcome = json.loads(outcome_file.read_text()) if outcome_file.exists() else {}
        problems = report(outcome, alone)
        if returncode and not problems:
            problems.append(f"locust exited with {returncode} (see {OUT}/locust.log)")
        if not outcome.get("sign_in") and not problems:
            problems.append(f"not every user signed in (see {OUT}/locust.log)")
    except KeyboardInterrupt:
        problems = ["interrupted"]
    finally:
        for process in reversed(list(_children)):
            stop(process)
        try:
            if os.environ.get("LOAD_KEEP_DB") != "1":
                recreate_database(drop_only=True)
            empty_redis()
        except Exception as exc:  # the cleanup must not hide the run's own outcome
            say(f"cleanup failed: {exc!r}")
    say(f"== done in {time.monotonic() - started:.0f} s; load average {load_average()}")
    for problem in problems:
        say(f"FAILED: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
