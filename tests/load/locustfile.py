"""`make load`: signed-in people of one organisation browse its main pages.

Started by ``tests/load/run.py``, which seeds the database, starts gunicorn and writes the plan
(``tests/load/plan.py``: who signs in and which pages each one visits). Each simulated user
signs in once through the real sign-in form, then visits its role's pages in turn with 0-1 s of
think time. Statistics are grouped by role and page ("participant: pair page").

Two phases: the sign-ins (password hashing makes them costly; their figures are kept apart),
then, from the moment the last user is signed in, ``LOAD_SECONDS`` of browsing that the page
figures (and the CSV files) cover. A failed sign-in stops the run at once.

Beside the people, one anonymous probe asks ``/healthz`` five times a second, as a load balancer
would: the cheapest answer of the stack, measured under the same load in the same seconds, so
each page can be read as a multiple of it (run.py prints "x healthz"). The probe is one user
more than ``LOAD_USERS``: locust is started with ``-u LOAD_USERS+1``.

Every request, the probe's and the people's, goes on a new connection. gunicorn serves a
connection on the worker that accepted it, to its end: kept-alive connections stick each person
to one of the four workers, and when the host is short of CPU one worker's queue grows while
another's is empty, so a role's figures depended on where its few connections had landed (the
4 HR admins' p50 moved between 0.3 s and 2 s from run to run). Behind the proxy of production,
requests are spread over the workers; a new connection per request, taken by whichever worker
is free first, is the nearest the loopback gets to that.

Each user connects from its own loopback address (127.0.0.2, 127.0.0.3, ...), as people on their
own machines would: the sign-in rate limits, counted per client address, hold as in production.
Like a browser, the client sends Secure cookies back to the loopback over plain HTTP (browsers
treat http://127.0.0.1 as a secure context), so the server keeps its production settings.

Environment: ``LOAD_PLAN`` (the plan's JSON file), ``LOAD_PASSWORD`` (every account's password),
``LOAD_SECONDS`` (default 60), ``LOAD_OUTCOME`` (a JSON file this writes: the sign-in figures,
server errors, failed sign-ins and failed requests of the whole run, and every response time and
failure of the browsing phase, per page). Lines starting with ``[load]`` are progress for run.py
to show.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import time
from collections import Counter
from http.cookiejar import DefaultCookiePolicy
from typing import Any

import gevent
from locust import HttpUser, between, constant_pacing, events, task
from locust.env import Environment
from locust.exception import StopUser
from locust.stats import StatsEntry
from urllib3 import PoolManager

with open(os.environ["LOAD_PLAN"], encoding="utf-8") as plan_file:
    PLAN: dict[str, list[dict[str, Any]]] = json.load(plan_file)
PASSWORD = os.environ.get("LOAD_PASSWORD", "P")
SECONDS = float(os.environ.get("LOAD_SECONDS", "60"))
PROBES = 1  # the /healthz probe: a user that never signs in
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
LOOPBACK = {"127.0.0.1", "localhost"}

_accounts = {role: itertools.cycle(people) for role, people in PLAN.items()}
_addresses = (f"127.0.{n // 250}.{n % 250 + 2}" for n in itertools.count())
outcome: dict[str, Any] = {
    "server_errors": Counter(),
    "failed_sign_ins": [],
    "sign_in": None,
    "signed_in": 0,
    # Every failed request of the run, sign-ins included: any of them fails the run.
    "failures": Counter(),
    # The browsing phase only: response times (ms) and failures per page, and its length.
    "browse": {"samples": {}, "failures": Counter(), "started": None, "seconds": None},
}

_return_ok_secure = DefaultCookiePolicy.return_ok_secure


def _loopback_is_secure(policy: DefaultCookiePolicy, cookie: Any, request: Any) -> bool:
    """Send Secure cookies back over plain HTTP to the loopback only, as browsers do. Patched
    on the class: requests builds a fresh cookie jar, with the default policy, per request."""
    host = request.host.split(":")[0]
    return host in LOOPBACK or _return_ok_secure(policy, cookie, request)


DefaultCookiePolicy.return_ok_secure = _loopback_is_secure  # type: ignore[method-assign]


@events.request.add_listener
def _count_server_errors(
    name: str, response: Any, exception: BaseException | None, **kwargs: Any
) -> None:
    status = getattr(response, "status_code", 0) or 0
    if status >= 500 or (exception is not None and status == 0):
        outcome["server_errors"][f"{name} ({status or type(exception).__name__})"] += 1
    if exception is not None:
        outcome["failures"][name] += 1


@events.request.add_listener
def _record_browsing(
    name: str, response_time: float, exception: BaseException | None, **kwargs: Any
) -> None:
    browse = outcome["browse"]
    if browse["started"] is None:
        return
    browse["samples"].setdefault(name, []).append(response_time)
    if exception is not None:
        browse["failures"][name] += 1


@events.quitting.add_listener
def _write_outcome(environment: Environment, **kwargs: Any) -> None:
    browse = outcome["browse"]
    if browse["started"] is not None:
        browse["seconds"] = time.time() - browse["started"]
    path = os.environ.get("LOAD_OUTCOME")
    if path:
        with open(path, "w", encoding="utf-8") as out:
            json.dump(outcome, out)
    if outcome["server_errors"] or outcome["failed_sign_ins"] or outcome["failures"]:
        environment.process_exit_code = 1


def _everyone_signed_in(environment: Environment) -> None:
    """Keep the sign-in figures, start the figures of browsing afresh, and stop in SECONDS."""
    stats = environment.stats
    sign_ins = StatsEntry(stats, "sign in", "POST")
    for entry in stats.entries.values():
        if entry.name.endswith(": sign in"):
            sign_ins.extend(entry)
    outcome["sign_in"] = {
        "requests": sign_ins.num_requests,
        "p50_ms": sign_ins.get_response_time_percentile(0.5),
        "p99_ms": sign_ins.get_response_time_percentile(0.99),
        "seconds": round(time.time() - stats.total.start_time, 1),
    }
    stats.reset_all()
    outcome["browse"]["started"] = time.time()
    print(
        f"[load] {outcome['signed_in']} users signed in after {outcome['sign_in']['seconds']} s; "
        f"browsing for {SECONDS:.0f} s",
        flush=True,
    )
    gevent.spawn_later(SECONDS, environment.runner.quit)


class Person(HttpUser):
    abstract = True
    role = ""
    wait_time = between(0, 1)

    def __init__(self, environment: Environment) -> None:
        self.pool_manager = PoolManager(maxsize=1, source_address=(next(_addresses), 0))
        super().__init__(environment)
        self.client.headers["Connection"] = "close"  # see the module's docstring
        account = next(_accounts[self.role])
        self.email: str = account["email"]
        pages = [tuple(page) for page in account["pages"]]
        start = random.randrange(len(pages))
        self.pages = itertools.cycle(pages[start:] + pages[:start])

    def on_start(self) -> None:
        """Sign in through the form, as a person would: GET it, then POST it with its token."""
        form = self.client.get("/accounts/login/", name=f"{self.role}: sign-in form")
        token = CSRF_FIELD.search(form.text or "")
        with self.client.post(
            "/accounts/login/",
            data={
                "login": self.email,
                "password": PASSWORD,
                "csrfmiddlewaretoken": token.group(1) if token else "",
            },
            name=f"{self.role}: sign in",
            catch_response=True,
        ) as response:
            # Success ends on the organisation's home page (via "/"), not on the form again.
            if response.status_code != 200 or "/o/" not in response.url:
                response.failure(f"sign-in of {self.email} ended on {response.url}")
                outcome["failed_sign_ins"].append(self.email)
                gevent.spawn(self.environment.runner.quit)
                raise StopUser()
        outcome["signed_in"] += 1
        if outcome["signed_in"] % 8 == 0:
            print(f"[load] {outcome['signed_in']} signed in", flush=True)
        if outcome["signed_in"] == self.environment.parsed_options.num_users - PROBES:
            _everyone_signed_in(self.environment)

    @task
    def browse(self) -> None:
        name, path = next(self.pages)
        self.client.get(path, name=f"{self.role}: {name}")


class HrAdmin(Person):
    role = "hr"
    fixed_count = 4


class Sponsor(Person):
    role = "sponsor"
    fixed_count = 4


class Participant(Person):
    role = "participant"


class HealthProbe(HttpUser):
    """Anonymous, like a load balancer's health check: ``/healthz`` five times a second, each
    on a new connection."""

    fixed_count = PROBES
    wait_time = constant_pacing(0.2)

    @task
    def healthz(self) -> None:
        self.client.get("/healthz", name="healthz", headers={"Connection": "close"})
