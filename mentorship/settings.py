"""The one settings module. Everything that differs between machines comes from the environment.

With nothing set, a fresh checkout runs on the embedded default: SQLite in ``var/``, Celery on a
filesystem broker in ``var/broker/``, email written to ``var/mail/``. ``DATABASE_URL``,
``REDIS_URL`` and ``EMAIL_URL`` switch to PostgreSQL, Redis and SMTP. With ``DEBUG`` off (the
default), ``SECRET_KEY`` and ``ALLOWED_HOSTS`` are required and their absence stops start-up, and
the site is HTTPS only (see "Security").
"""

from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()

VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))

DEBUG = env.bool("DEBUG", default=False)


def _required_when_not_debug(name: str, dev_default: str) -> str:
    """Return the variable, or the development default when DEBUG is on; fail loudly otherwise."""
    value = env.str(name, default="")
    if value:
        return value
    if DEBUG:
        return dev_default
    raise ImproperlyConfigured(
        f"{name} must be set when DEBUG is off. Set DEBUG=1 for local development, "
        f"or provide {name} in the environment (see README, 'Configuration')."
    )


SECRET_KEY = _required_when_not_debug("SECRET_KEY", "dev-only-insecure-key-never-use-in-production")
ALLOWED_HOSTS = [
    h.strip()
    for h in _required_when_not_debug("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.saml",
    "allauth.socialaccount.providers.openid_connect",
    "django_htmx",
    "rest_framework",
    "rest_framework_api_key",
    "drf_spectacular",
    "mentorship",
    "mentorship.identity",
    "mentorship.api",
    "mentorship.events",
    "programs",
    "pairings",
    "feedback",
    "mentorship.frame",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After WhiteNoise: static files need no policy.
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After authentication: the person's own language setting comes first.
    "mentorship.i18n.LanguageMiddleware",
    "mentorship.security.NoStoreMiddleware",
    "mentorship.security.UserSessionActivityMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "mentorship.identity.sso.step_up.PasswordlessStepUpMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # A query stopped by the statement timeout answers 503 with a page that says so.
    "mentorship.statement_timeout.StatementTimeoutMiddleware",
    # Last: it needs the user, and it wraps the view in the organisation's scope.
    "mentorship.middleware.TenancyMiddleware",
]

ROOT_URLCONF = "mentorship.frame.urls"
WSGI_APPLICATION = "mentorship.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.template.context_processors.i18n",
                "django.contrib.messages.context_processors.messages",
                "mentorship.context_processors.tenancy",
            ],
        },
    },
]

# --- Database ------------------------------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite cannot create the folder its file lives in; var/ is git-ignored local state.
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # The web server, the worker and beat share one file: WAL lets readers run beside a writer,
    # and IMMEDIATE transactions take the write lock up front instead of failing half-way.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# An optional read replica of the primary (a managed read replica, or a streaming standby):
# GETs of dashboards, exports and list pages read from it, everything else stays on the primary,
# and a browser whose request wrote reads the primary for STICKY seconds (mentorship.dbrouting).
DATABASE_REPLICA_URL = env.str("DATABASE_REPLICA_URL", default="")
DATABASE_REPLICA_STICKY_SECONDS = env.int("DATABASE_REPLICA_STICKY_SECONDS", default=10)
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = {
        **env.db_url_config(DATABASE_REPLICA_URL),
        "CONN_MAX_AGE": DATABASES["default"].get("CONN_MAX_AGE", 0),
        "CONN_HEALTH_CHECKS": DATABASES["default"].get("CONN_HEALTH_CHECKS", False),
        # The test runner must not create a database on a read-only server: in tests the
        # replica is the test database itself.
        "TEST": {"MIRROR": "default"},
    }
    DATABASE_ROUTERS = ["mentorship.dbrouting.ReplicaRouter"]
    # Around the tenancy middleware and the view, whose writes keep the browser on the primary
    # for a while; inside the session's: saving the session is no write the next page must see.
    MIDDLEWARE.insert(
        MIDDLEWARE.index("mentorship.middleware.TenancyMiddleware"),
        "mentorship.dbrouting.ReplicaMiddleware",
    )

# Web processes stop any SQL statement that runs longer than this, so one slow query cannot hold
# a web worker (0: no limit). Workers and management commands are not limited
# (mentorship.statement_timeout).
STATEMENT_TIMEOUT_SECONDS = env.float("STATEMENT_TIMEOUT_SECONDS", default=10.0)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "mentorship.User"

# --- Redis: broker and shared cache --------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            # Fails open: with Redis down, pages and sign-in keep working (see cache.py).
            "BACKEND": "mentorship.cache.FailOpenRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "rm",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    # Shared between the web server, the worker and beat (unlike local memory), so rate limits
    # hold across processes on the embedded default too.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# --- Celery --------------------------------------------------------------------------------------
BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = REDIS_URL or "filesystem://"
if not REDIS_URL:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR),
        "data_folder_out": str(BROKER_DIR),
        # Kombu's default is a "control" folder in the working directory.
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = 2
# Publishing gives up quickly when the broker is down: the caller falls back (see tasks.py).
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
# A worker killed mid-task must not lose the message: it goes back to the queue.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="mentorship")
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Dispatchers scan the database for due work, so a lost wake-up is caught on the next tick.
CELERY_BEAT_SCHEDULE = {
    "fetch-due-busy-calendars": {
        "task": "pairings.tasks.dispatch_busy_calendar_fetches",
        "schedule": 60.0,
    },
    "deliver-pending-notification-emails": {
        "task": "mentorship.tasks.dispatch_notification_emails",
        "schedule": 60.0,
    },
    "send-pending-invitation-emails": {
        "task": "mentorship.tasks.dispatch_invitation_emails",
        "schedule": 60.0,
    },
    "run-feedback-cycles": {
        "task": "feedback.tasks.dispatch_feedback_cycles",
        "schedule": 60.0,
    },
    "send-due-reminders": {
        "task": "pairings.tasks.dispatch_reminders",
        "schedule": 60.0,
    },
    # Webhook retries come due at their back-off times; a killed worker's attempt lapses.
    "deliver-due-webhooks": {
        "task": "mentorship.events.tasks.dispatch_webhook_deliveries",
        "schedule": 60.0,
    },
    "send-pending-meeting-invitations": {
        "task": "pairings.meeting_tasks.dispatch_meeting_invitations",
        "schedule": 60.0,
    },
    # Hourly is enough for a weekly email due from Monday 07:00 UTC (it leaves by 08:00).
    "send-weekly-sponsor-digests": {
        "task": "mentorship.dashboards.tasks.dispatch_sponsor_digests",
        "schedule": 3600.0,
    },
}

# --- Email ---------------------------------------------------------------------------------------
MAIL_DIR = VAR_DIR / "mail"
EMAIL_URL = env.str("EMAIL_URL", default="")
if EMAIL_URL:
    vars().update(env.email_url_config(EMAIL_URL))
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(MAIL_DIR)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Reverse mentoring <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# --- Accounts (django-allauth) --------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_REAUTHENTICATION_REQUIRED = True
# Changing email or second factor asks for the password unless it was confirmed within this many
# seconds. (Changing the password needs the current one anyway.)
ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
ACCOUNT_LOGIN_BY_CODE_ENABLED = False
# Lazy: allauth adds it to each subject when it sends, in the recipient's language then.
ACCOUNT_EMAIL_SUBJECT_PREFIX = gettext_lazy("[Reverse mentoring] ")
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else "https"
# allauth's rate limits live in the default cache: Redis when configured, shared files otherwise.
# They count per client address: behind N reverse proxies of ours, the address is the N-th entry
# from the right of X-Forwarded-For. 0 ignores the header (it can be forged).
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# Users list their signed-in sessions (browser, address, last seen) and end the others.
# Last seen is recorded at most once a minute per session (mentorship.security).
USERSESSIONS_TRACK_ACTIVITY = True
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_TOTP_ISSUER = "Reverse mentoring"
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG

# --- Single sign-on and provisioning (mentorship.identity) ----------------------------------------
# Each organisation brings its own identity provider. allauth's apps are built per request from
# our own configuration (the adapter's list_apps), so no secret sits in SocialApp.settings and
# the sign-in page lists no organisation's provider.
SOCIALACCOUNT_ADAPTER = "mentorship.identity.sso.adapter.SocialAccountAdapter"
SOCIALACCOUNT_PROVIDERS = {
    # Ours records each assertion's id and expiry, so a replayed one is refused.
    "saml": {"provider_class": "mentorship.identity.sso.providers.SAMLProvider"},
    # Ours sends and checks an OpenID Connect nonce (allauth's sends none).
    "openid_connect": {"provider_class": "mentorship.identity.sso.providers.OpenIDConnectProvider"},
}
# Sign-in, sign-up and password reset refuse a password where the organisation requires single
# sign-on (with break-glass for its HR admins), and name the way in.
ACCOUNT_FORMS = {
    "login": "mentorship.identity.sso.forms.LoginForm",
    "signup": "mentorship.identity.sso.forms.SignupForm",
    "reset_password": "mentorship.identity.sso.forms.ResetPasswordForm",
}
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_OPENID_CONNECT_URL_PREFIX = "oidc"
# Fernet keys for secrets at rest (first encrypts, all decrypt); derived from SECRET_KEY if unset.
SECRETS_ENCRYPTION_KEYS = env.list("SECRETS_ENCRYPTION_KEYS", default=[])
# http:// issuers and IdP URLs, and single-label hosts: for `make run`'s local identity provider
# and the tests only. Production identity providers speak HTTPS.
SSO_ALLOW_INSECURE = env.bool("SSO_ALLOW_INSECURE", default=DEBUG)

# --- Internationalisation ------------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
# English is the source language; each other language has a catalogue in locale/ (see the README,
# "Adding a language"). Names are written in their own language, as a language menu shows them.
LANGUAGES = [
    ("en-gb", "English"),
    ("fr", "Français"),
    ("de", "Deutsch"),
    ("es", "Español"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "language"
LANGUAGE_COOKIE_SECURE = not DEBUG
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files --------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_MANIFEST = env.bool("STATIC_MANIFEST", default=not DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if STATIC_MANIFEST
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
MEDIA_ROOT = VAR_DIR / "uploads"

# --- Security ------------------------------------------------------------------------------------
# With DEBUG off the site is HTTPS only (`check --deploy` is clean). With DEBUG on (`make run`),
# cookies are not Secure and nothing redirects, so http://127.0.0.1:8000 works.
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if env.bool("TRUST_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Behind a TLS-terminating proxy this needs TRUST_X_FORWARDED_PROTO, or every request loops.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# The container health check asks over plain HTTP from inside the container.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
if not SECURE_HSTS_PRELOAD:
    # Preloading is the domain owner's decision (submitted to browsers, slow to undo), so it is
    # opt-in; the check that recommends it is silenced only while it is deliberately off.
    SILENCED_SYSTEM_CHECKS = ["security.W021"]
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = not DEBUG
if not DEBUG:
    # "__Host-": browsers accept the cookie only when Secure, for Path=/ and with no Domain, so a
    # sibling subdomain cannot set or shadow it. Chromium accepts them on http://localhost too.
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
# No inline script or style anywhere (htmx's indicator style is turned off in base.html).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- Application ---------------------------------------------------------------------------------
INVITATION_VALID_DAYS = env.int("INVITATION_VALID_DAYS", default=14)
# A pair that has not met for this many days is nudged; after twice as long, HR admins hear.
PAIR_INACTIVITY_DAYS = env.int("PAIR_INACTIVITY_DAYS", default=21)

# --- API and webhooks ----------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["mentorship.api.authentication.APIKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["mentorship.api.permissions.OrganizationKeyPermission"],
    "DEFAULT_THROTTLE_CLASSES": ["mentorship.api.throttling.PerKeyRateThrottle"],
    "DEFAULT_PAGINATION_CLASS": "mentorship.api.pagination.IdCursorPagination",
    "DEFAULT_FILTER_BACKENDS": ["mentorship.api.filters.UpdatedSinceFilter"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["mentorship.api.parsers.SafeJSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "mentorship.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": None,
    # OPTIONS answers with the allowed methods only, not DRF's description of every field.
    "DEFAULT_METADATA_CLASS": None,
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Reverse mentoring API",
    "DESCRIPTION": (
        "The organisation's programs, participants, pairs, meetings, session logs, surveys and "
        "audit events. Authenticate with an API key of the organisation "
        "(Settings → API keys): `Authorization: Bearer <key>`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "APPEND_COMPONENTS": {
        "securitySchemes": {"ApiKey": {"type": "http", "scheme": "bearer"}},
    },
    "SECURITY": [{"ApiKey": []}],
    "AUTHENTICATION_WHITELIST": [],
    # Stable, readable names for enums that share values (else a hash suffix that changes).
    "ENUM_NAME_OVERRIDES": {
        "RoleEnum": "mentorship.models.Role",
        "PairStatusEnum": "pairings.models.Pairing.Status",
        "SurveyStatusEnum": "feedback.models.FeedbackCycle.Status",
        "MeetingStatusEnum": "pairings.serializers.MEETING_STATUSES",
        "ProgramStatusEnum": "programs.models.Program.Status",
        "ParticipantStatusEnum": "programs.models.Participant.Status",
    },
}
# Requests per key; DRF's notation ("600/min", "20000/hour"). Empty: no limit.
API_RATE_LIMIT = env.str("API_RATE_LIMIT", default="600/min")
# Webhooks go to https URLs on public addresses only. On-premises receivers (and `make run`, for
# a receiver on this machine) may allow http, loopback and private addresses; link-local ones
# (the cloud metadata service at 169.254.169.254) stay refused either way.
WEBHOOKS_ALLOW_PRIVATE_NETWORKS = env.bool("WEBHOOKS_ALLOW_PRIVATE_NETWORKS", default=DEBUG)

# --- Free/busy from people's own calendars --------------------------------------------------------
# The private iCalendar addresses people give are fetched by the workers, so they are fenced as
# webhooks are: https only, and never loopback, private or link-local addresses (checked on the
# address actually connected to). An operator may allow http and private addresses, for an
# on-premises calendar server or tests; link-local and metadata addresses stay refused.
CALENDARS_ALLOW_PRIVATE_NETWORKS = env.bool("CALENDARS_ALLOW_PRIVATE_NETWORKS", default=DEBUG)
BUSY_CALENDAR_REFRESH_MINUTES = 15

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
