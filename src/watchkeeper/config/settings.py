"""Django settings, all read from the environment (see docs/configuration.md)."""

from __future__ import annotations

from pathlib import Path

from watchkeeper.config import env, secret

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = env.data_dir()

# From the environment, else generated once and stored in the database, shared by every host
# (config/secret.py; a key kept in <data dir>/secret_key before is adopted).
_secret_key = env.secret_key()
SECRET_KEY = _secret_key or secret.secret_key_lazy(DATA_DIR / "secret_key")
SECRET_KEY_FROM_ENVIRONMENT = _secret_key is not None
DEBUG = env.flag("WATCHKEEPER_DEBUG")
HTTPS = env.flag("WATCHKEEPER_HTTPS")

ALLOWED_HOSTS = env.csv("WATCHKEEPER_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "watchkeeper.core.apps.CoreConfig",
    "watchkeeper.accounts.apps.AccountsConfig",
    "watchkeeper.tenancy.apps.TenancyConfig",
    "watchkeeper.audit.apps.AuditConfig",
    "watchkeeper.policy.apps.PolicyConfig",
    "watchkeeper.alerts.apps.AlertsConfig",
    "watchkeeper.incidents.apps.IncidentsConfig",
    "watchkeeper.oncall.apps.OncallConfig",
    "watchkeeper.sla.apps.SlaConfig",
    "watchkeeper.paging.apps.PagingConfig",
    "watchkeeper.mail.apps.MailConfig",
    "watchkeeper.branding.apps.BrandingConfig",
    "watchkeeper.chat.apps.ChatConfig",
    "watchkeeper.reviews.apps.ReviewsConfig",
    "watchkeeper.comms.apps.CommsConfig",
    "watchkeeper.monitoring.apps.MonitoringConfig",
    "watchkeeper.knowledge.apps.KnowledgeConfig",
    "watchkeeper.engine.apps.EngineConfig",
    "watchkeeper.web.apps.WebConfig",
]

MIDDLEWARE = [
    "watchkeeper.web.middleware.ProbeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "watchkeeper.web.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "watchkeeper.accounts.middleware.TwoFactorMiddleware",
    "watchkeeper.accounts.middleware.UserTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "watchkeeper.web.middleware.DomainErrorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "watchkeeper.config.urls"
# Sections of a lower app's page that belong to an app above it (core/panels.py, ADR 0022).
WATCHKEEPER_PANELS = {
    "account": ["watchkeeper.paging.panels.account"],
    "client": ["watchkeeper.sla.panels.client_standing", "watchkeeper.comms.panels.client_contacts"],
    "incident": ["watchkeeper.comms.panels.incident_comms"],
}
WSGI_APPLICATION = "watchkeeper.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "watchkeeper.web.context.navigation",
                "watchkeeper.web.context.branding",
            ],
        },
    },
]

# Web processes may reach PostgreSQL through PgBouncer in transaction mode; engines may not (they
# hold a session's advisory lock and LISTEN for wake-ups): `watchkeeper engine` refuses to start.
DATABASE_POOLED = env.flag("WATCHKEEPER_DATABASE_POOLED")
DATABASES = {"default": env.database(DATA_DIR, pooled=DATABASE_POOLED)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Login throttling: failures per e-mail address and per client IP within the window.
LOGIN_THROTTLE_FAILURES = env.integer("WATCHKEEPER_LOGIN_THROTTLE_FAILURES", 5, minimum=1)
LOGIN_THROTTLE_WINDOW_SECONDS = env.integer("WATCHKEEPER_LOGIN_THROTTLE_WINDOW", 900, minimum=1)
# How many reverse proxies in front of Watchkeeper append to X-Forwarded-For (0: none, use
# the socket's address). Throttling per IP depends on getting this right.
TRUSTED_PROXY_COUNT = env.integer("WATCHKEEPER_TRUSTED_PROXIES", 0, minimum=0)

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 12
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

if HTTPS:
    # Behind a TLS-terminating proxy that sets X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^metrics$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # ".example.com" in ALLOWED_HOSTS means the domain and its subdomains.
    CSRF_TRUSTED_ORIGINS = [
        f"https://*{host}" if host.startswith(".") else f"https://{host}"
        for host in ALLOWED_HOSTS
        if host != "*"
    ]

EMAIL_SUBJECT_PREFIX = "[Watchkeeper] "
DEFAULT_FROM_EMAIL = env.text("WATCHKEEPER_EMAIL_FROM", "watchkeeper@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Outgoing mail is decided at each send (watchkeeper.mail.selectors): WATCHKEEPER_SMTP_URL when
# set; otherwise the server an admin set in the console; otherwise files in EMAIL_FILE_PATH that
# an operator can read (`watchkeeper check` says so).
EMAIL_BACKEND = "watchkeeper.mail.backend.EmailBackend"
EMAIL_FILE_PATH = str(DATA_DIR / "mail")
EMAIL_TIMEOUT = 20
_smtp = env.smtp()  # lower case: not a setting itself
SMTP_FROM_ENVIRONMENT = bool(_smtp)
globals().update(_smtp)

# Ingest: events per second per integration key (a burst of the same size is allowed).
INGEST_RATE_PER_KEY = env.integer("WATCHKEEPER_INGEST_RATE", 500, minimum=1)
# The inbox backlog (alerts/backlog.py): past this many pending events intake answers 503 with
# Retry-After instead of accepting more (0: never); /readyz and the console say the inbox is
# behind when its oldest pending event has waited longer than INBOX_BEHIND_SECONDS.
INBOX_SHED_DEPTH = env.integer("WATCHKEEPER_INBOX_SHED_DEPTH", 200_000, minimum=0)
INBOX_SHED_RETRY_AFTER = env.integer("WATCHKEEPER_INBOX_SHED_RETRY_AFTER", 10, minimum=1)
INBOX_BEHIND_SECONDS = env.integer("WATCHKEEPER_INBOX_BEHIND_SECONDS", 30, minimum=1)

# Inbound e-mail (the smtp role): mail to <integration key>@<domain> becomes alerts.
INBOUND_EMAIL_DOMAIN = env.text("WATCHKEEPER_INBOUND_EMAIL_DOMAIN", "localhost").lower()
INBOUND_EMAIL_MAX_BYTES = env.integer("WATCHKEEPER_INBOUND_EMAIL_MAX_BYTES", 1_048_576, minimum=1)

# The SSRF guard (core/netguard.py): CIDRs and host names that outgoing notification URLs may
# reach although they are private, loopback or link-local. Empty: only public addresses.
OUTBOUND_ALLOW = env.csv("WATCHKEEPER_OUTBOUND_ALLOW", "")

NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_LIMIT = 500

# Secrets at rest (core/crypto.py): extra encryption keys, newest first; the key derived from
# SECRET_KEY is always tried last. `watchkeeper secrets rotate` moves everything to the first.
ENCRYPTION_KEYS = env.csv("WATCHKEEPER_ENCRYPTION_KEYS", "")

# /metrics answers a scraper that sends `Authorization: Bearer <WATCHKEEPER_METRICS_TOKEN>` or
# that connects from WATCHKEEPER_METRICS_ALLOW (CIDRs; behind proxies, see TRUSTED_PROXY_COUNT).
METRICS_TOKEN = env.text("WATCHKEEPER_METRICS_TOKEN", "")
METRICS_ALLOW = env.networks("WATCHKEEPER_METRICS_ALLOW", "127.0.0.0/8,::1")

# Readiness: the engine counts as stalled when it has not finished a cycle for this long.
ENGINE_STALL_SECONDS = env.integer("WATCHKEEPER_ENGINE_STALL_SECONDS", 60, minimum=1)
ENGINE_INTERVAL_SECONDS = env.decimal("WATCHKEEPER_ENGINE_INTERVAL", 0.5, minimum=0.01)
# An engine cycle slower than this is logged with the time of each phase (inbox, timers, …).
ENGINE_SLOW_CYCLE_SECONDS = env.decimal("WATCHKEEPER_ENGINE_SLOW_CYCLE", 1.0, minimum=0)

# Paging: links in pages point here; a message's lease while it is being sent.
PUBLIC_BASE_URL = env.text("WATCHKEEPER_BASE_URL", "http://localhost:8000").rstrip("/")
OUTBOX_LEASE_SECONDS = env.decimal("WATCHKEEPER_OUTBOX_LEASE", 60, minimum=1)
# Timers: how long a claimed batch is an engine's; a crashed engine's timers run elsewhere after it.
TIMER_LEASE_SECONDS = env.decimal("WATCHKEEPER_TIMER_LEASE", 60, minimum=1)
# Delivery: sends run on this many threads at once, and the engine waits at most the deadline
# for a send (then records it as a temporary failure and goes on). Below the outbox lease.
DELIVERY_WORKERS = env.integer("WATCHKEEPER_DELIVERY_WORKERS", 8, minimum=1, maximum=64)
DELIVERY_DEADLINE_SECONDS = env.decimal("WATCHKEEPER_DELIVERY_DEADLINE", 10, minimum=1)

OTP_TOTP_ISSUER = "Watchkeeper"

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.choice("WATCHKEEPER_LOG_LEVEL", "INFO", LOG_LEVELS)},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
