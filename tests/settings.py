"""Test overlay on the one settings module: supplies what the environment would, and swaps in
what makes tests fast and independent. Everything else is the production configuration."""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "tests-only-not-a-secret")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("STATIC_MANIFEST", "0")
os.environ.setdefault("SITE_URL", "http://testserver")
# The test client and the live server speak plain HTTP. Everything else DEBUG-off turns on stays
# on (Secure "__Host-" cookies, HSTS on HTTPS requests): browsers accept them on localhost.
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")

from mentorship.settings import *  # noqa: F403

# Each test starts from an empty cache (rate limits included) without flushing a shared Redis.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tasks run in-process unless a test starts a real worker (tests/mentorship/test_worker.py).
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
# A session's "last seen" write (at most once a minute, mentorship.security) would add queries to
# the first request of a test and unbalance the pinned query counts; test_security turns it on.
USERSESSIONS_TRACK_ACTIVITY = False

if not REDIS_URL:  # noqa: F405
    # The filesystem broker of tests lives apart from the one `make run` uses.
    _broker = tempfile.mkdtemp(prefix="rm-test-broker-")
    os.makedirs(f"{_broker}/control", exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": _broker,
        "data_folder_out": _broker,
        "control_folder": f"{_broker}/control",
        "store_processed": False,
    }

_database = DATABASES["default"]  # noqa: F405
if _database["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not shared-cache memory: the real Celery worker and the live server run in other
    # threads, and a file database with WAL lets them read and write beside the test without
    # "table is locked" errors (which memory databases raise across threads).
    _database["TEST"] = {"NAME": f"{tempfile.mkdtemp(prefix='rm-test-db-')}/test.sqlite3"}

# A second alias for the replica router's tests (tests/mentorship/test_replica_routing.py turn
# the router on): a mirror is no database of its own but the test database, as a replica at the
# same server would be. Without the router nothing reads from it.
DATABASES.setdefault(  # noqa: F405
    "replica",
    {**_database, "OPTIONS": dict(_database.get("OPTIONS", {})), "TEST": {"MIRROR": "default"}},
)
