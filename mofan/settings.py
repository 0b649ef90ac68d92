"""Django settings for mofan, read from environment variables (see docs/deploy.md).

Two configurations exist: development (the default; `make run`) and production
(`MOFAN_ENV=production`), which refuses to start without a secret key, an audit key, a data key
and allowed hosts, or without SM3 and SM4 in OpenSSL, and turns on every transport-security
setting `check --deploy` asks for.
"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from mofan.env import (
    env_bool,
    env_int,
    env_list,
    env_path,
    env_secret,
    env_str,
    parse_database_url,
    secret_from_file,
    sqlite_database,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = env_path("MOFAN_VAR_DIR", BASE_DIR / "var")

MOFAN_ENV = (env_str("MOFAN_ENV", "development") or "development").strip().lower()
if MOFAN_ENV not in {"development", "production"}:
    raise ImproperlyConfigured("MOFAN_ENV must be 'development' or 'production'")
PRODUCTION = MOFAN_ENV == "production"
DEBUG = env_bool("MOFAN_DEBUG", not PRODUCTION)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("MOFAN_DEBUG must be off in production")

_secret = env_str("SECRET_KEY")
if not _secret:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY is required in production")
    _secret = secret_from_file(VAR_DIR / "secret_key", create=True)
SECRET_KEY: str = _secret or ""

# The audit chain's MAC key lives outside the database: an environment variable or a file.
MOFAN_AUDIT_KEY = env_secret(
    "MOFAN_AUDIT_KEY", default_file=VAR_DIR / "audit.key", create=not PRODUCTION
)
MOFAN_AUDIT_RETENTION_DAYS = max(183, env_int("MOFAN_AUDIT_RETENTION_DAYS", 183))
# `verify_audit` keeps the head it last verified here, signed with the audit key, outside the
# audited table: a tail cut off later fails the next run (docs/deploy.md).
MOFAN_AUDIT_ANCHOR_FILE = env_path("MOFAN_AUDIT_ANCHOR_FILE", VAR_DIR / "audit.anchor")

# The data key (encryption at rest, mofan/core/crypto.py) lives outside the database and its
# backups too: SM4-GCM for secret fields and backup archives, HMAC-SM3 blind indexes. Losing it
# loses those fields and every backup.
MOFAN_DATA_KEY = env_secret(
    "MOFAN_DATA_KEY", default_file=VAR_DIR / "data.key", create=not PRODUCTION
)
if len(MOFAN_DATA_KEY) < 32:
    raise ImproperlyConfigured("MOFAN_DATA_KEY must be at least 32 random characters")
if PRODUCTION:
    # No silent fallback: the audit MAC (HMAC-SM3) and encryption at rest (SM4) need the 国密
    # algorithms. Checked here, not in an AppConfig, so that every entry point (gunicorn,
    # migrate, backup, restore) refuses before anything is read or written.
    from mofan.core.crypto import missing_gm_algorithms

    if _missing_gm := missing_gm_algorithms():
        raise ImproperlyConfigured(
            "OpenSSL lacks " + ", ".join(_missing_gm) + ": production requires SM3 and SM4 "
            "(audit MAC, encryption at rest); install Python and cryptography built against an "
            "OpenSSL that provides them"
        )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS is required in production")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    "mofan.core",
    "mofan.audit",
    "mofan.accounts",
    "mofan.organizations",
    "mofan.indicators",
    "mofan.evidence",
    "mofan.activities",
    "mofan.appraisals",
    "mofan.campaigns",
    "mofan.evaluations",
    "mofan.rectification",
    "mofan.supervision",
    "mofan.honours",
    "mofan.surveys",
    "mofan.cases",
    "mofan.notifications",
    "mofan.reports",
    "mofan.api",
    "mofan.home",
]
# Demo data, simulation, scale seed and bench (mofan/devtools): for development and training
# instances only. Not installed in production, so none of their commands exists there.
if not PRODUCTION:
    INSTALLED_APPS.append("mofan.devtools")

MIDDLEWARE = [
    # /healthz and /readyz, answered before anything else (no session, login, host check or
    # HTTPS redirect: a load balancer probes the backend directly; mofan/core/health.py)
    "mofan.core.health.HealthMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "mofan.core.middleware.ClientAddressMiddleware",
    "mofan.core.middleware.SecurityHeadersMiddleware",
    # a lost database connection: GET retried once, else 503 (mofan/core/dbfaults.py)
    "mofan.core.dbfaults.DatabaseFaultMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "mofan.accounts.middleware.SessionLifetimeMiddleware",
    "mofan.accounts.middleware.AccountPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "mofan.urls"
WSGI_APPLICATION = "mofan.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "mofan" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "mofan.home.context_processors.navigation",
                "mofan.notifications.context_processors.notice_bell",
            ],
        },
    }
]

_database_url = env_str("DATABASE_URL")
if _database_url:
    DATABASES = {"default": parse_database_url(_database_url)}
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {"default": sqlite_database(str(VAR_DIR / "mofan.sqlite3"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home:home"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "mofan.accounts.passwords.LengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "mofan.accounts.passwords.CharacterClassValidator", "OPTIONS": {"min_classes": 3}},
    {"NAME": "mofan.accounts.passwords.UsernameValidator"},
    {"NAME": "mofan.accounts.passwords.CommonPasswordValidator"},
]

# Account policy (GB/T 22239-2019 level 3, application part).
MOFAN_PASSWORD_MAX_AGE_DAYS = env_int("MOFAN_PASSWORD_MAX_AGE_DAYS", 90)
MOFAN_INACTIVE_DISABLE_DAYS = env_int("MOFAN_INACTIVE_DISABLE_DAYS", 90)
# REST API (mofan/api): calls per token per minute, counted in the cache (share one cache, e.g.
# Redis, between application servers so the limit holds across them).
MOFAN_API_RATE_PER_MINUTE = env_int("MOFAN_API_RATE_PER_MINUTE", 120)
MOFAN_LOCKOUT_THRESHOLD = env_int("MOFAN_LOCKOUT_THRESHOLD", 5)
MOFAN_LOCKOUT_MINUTES = env_int("MOFAN_LOCKOUT_MINUTES", 30)
# 满意度测评: a unit reads its free-text answers only from this many responses on; a client
# address may submit this many responses per 10 minutes (counted in the cache only)
MOFAN_SURVEY_MIN_RESPONSES = env_int("MOFAN_SURVEY_MIN_RESPONSES", 5)
MOFAN_SURVEY_RATE_LIMIT = env_int("MOFAN_SURVEY_RATE_LIMIT", 20)
MOFAN_SESSION_IDLE_MINUTES = env_int("MOFAN_SESSION_IDLE_MINUTES", 30)
MOFAN_SESSION_ABSOLUTE_HOURS = env_int("MOFAN_SESSION_ABSOLUTE_HOURS", 12)
MOFAN_REAUTH_MINUTES = env_int("MOFAN_REAUTH_MINUTES", 5)
MOFAN_TRUSTED_PROXIES = env_list("MOFAN_TRUSTED_PROXIES", [])
# Roles that must log in with a second factor (TOTP). In production every committee-level role
# (the three separated duties, the leader and the reviewers, who read many units' submissions);
# unit roles (unit_admin, unit_leader, member) may be added by the deployment.
MOFAN_REQUIRE_2FA_ROLES = env_list(
    "MOFAN_REQUIRE_2FA_ROLES",
    ["committee_admin", "committee_leader", "security_admin", "auditor", "reviewer"]
    if PRODUCTION
    else [],
)
_ROLE_NAMES = {
    "committee_admin",
    "committee_leader",
    "security_admin",
    "auditor",
    "reviewer",
    "unit_admin",
    "unit_leader",
    "member",
}
if set(MOFAN_REQUIRE_2FA_ROLES) - _ROLE_NAMES:
    raise ImproperlyConfigured(
        "MOFAN_REQUIRE_2FA_ROLES names unknown roles: "
        + ", ".join(sorted(set(MOFAN_REQUIRE_2FA_ROLES) - _ROLE_NAMES))
    )
MOFAN_IMPORT_MAX_MB = env_int("MOFAN_IMPORT_MAX_MB", 5)

SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = MOFAN_SESSION_ABSOLUTE_HOURS * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_NAME = "mofan_session"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_NAME = "mofan_csrf"
CSRF_FAILURE_VIEW = "mofan.home.views.csrf_failure"

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = env_bool("MOFAN_SECURE_COOKIES", PRODUCTION)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("MOFAN_SSL_REDIRECT", PRODUCTION)
SECURE_HSTS_SECONDS = env_int("MOFAN_HSTS_SECONDS", 31536000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_HSTS_PRELOAD = PRODUCTION
if env_bool("MOFAN_BEHIND_PROXY", PRODUCTION):
    # nginx terminates TLS and sets X-Forwarded-Proto (docs/deploy.md).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "mofan" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "mofan" / "static"]
STATIC_ROOT = env_path("MOFAN_STATIC_ROOT", VAR_DIR / "static")
MEDIA_URL = "/media/"
MEDIA_ROOT = env_path("MOFAN_MEDIA_ROOT", VAR_DIR / "media")
FILE_UPLOAD_PERMISSIONS = 0o640
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# E-mail for notices: sent only when an SMTP host is configured (MOFAN_SMTP_HOST); otherwise
# notices stay in-app. Tests use Django's locmem backend.
MOFAN_SMTP_HOST = env_str("MOFAN_SMTP_HOST")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if MOFAN_SMTP_HOST
    else "django.core.mail.backends.dummy.EmailBackend"
)
EMAIL_HOST = MOFAN_SMTP_HOST or "localhost"
EMAIL_PORT = env_int("MOFAN_SMTP_PORT", 25)
EMAIL_HOST_USER = env_str("MOFAN_SMTP_USER") or ""
EMAIL_HOST_PASSWORD = env_str("MOFAN_SMTP_PASSWORD") or ""
EMAIL_USE_TLS = env_bool("MOFAN_SMTP_TLS", False)
# A hung mail server must not hold a request (mail goes out after the commit) for long.
EMAIL_TIMEOUT = env_int("MOFAN_SMTP_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("MOFAN_MAIL_FROM") or "mofan@localhost"
MOFAN_SITE_URL = (env_str("MOFAN_SITE_URL") or "").rstrip("/")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("MOFAN_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # WeasyPrint and fontTools log every rendering step at INFO; keep only their warnings.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# --- Background tasks (Django's Tasks framework: django-tasks + django-tasks-db) -----------
# Tasks are rows in the database (django_tasks_db); `manage.py db_worker` runs them, on SQLite
# and on PostgreSQL (several workers on several machines take tasks with row locks). `make run`
# starts one worker next to the server (scripts/run_dev.py); docs/deploy.md for production.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# --- Export jobs (issue 6, mofan/reports/jobs.py; docs in its module docstring) ----------------
# Finished files are kept this long, then deleted (`manage.py export_cleanup`, and on access).
MOFAN_EXPORT_RETENTION_HOURS = max(1, env_int("MOFAN_EXPORT_RETENTION_HOURS", 24))
# Outside MEDIA_ROOT: files are served only through the job's download view.
MOFAN_EXPORT_DIR = env_path("MOFAN_EXPORT_DIR", VAR_DIR / "exports")
# A job queued or running longer than this (or whose process is gone) is failed by the cleanup.
MOFAN_EXPORT_STALE_MINUTES = max(5, env_int("MOFAN_EXPORT_STALE_MINUTES", 60))
# How many unfinished jobs one user may have at a time.
MOFAN_EXPORT_MAX_ACTIVE = max(1, env_int("MOFAN_EXPORT_MAX_ACTIVE", 3))
# --- end of export jobs --------------------------------------------------------------------------

# --- Database faults (mofan/core/dbfaults.py) ----------------------------------------------------
# A GET whose database connection was lost is run once more on a fresh connection after this
# pause; a write, or a retry that fails again, answers 503 with this Retry-After.
MOFAN_DB_RETRY_DELAY_MS = max(0, env_int("MOFAN_DB_RETRY_DELAY_MS", 500))
MOFAN_DB_RETRY_AFTER_SECONDS = max(1, env_int("MOFAN_DB_RETRY_AFTER_SECONDS", 5))
# A background task interrupted by a transient database fault (a lost connection, a lock, a
# serialisation conflict) runs its unit of work again, up to this many attempts in all, pausing
# 0.5 s, 1 s, 2 s … (at most the maximum) in between.
MOFAN_TASK_RETRY_ATTEMPTS = max(1, env_int("MOFAN_TASK_RETRY_ATTEMPTS", 5))
MOFAN_TASK_RETRY_BASE_SECONDS = max(0, env_int("MOFAN_TASK_RETRY_BASE_MS", 500)) / 1000
MOFAN_TASK_RETRY_MAX_SECONDS = max(0, env_int("MOFAN_TASK_RETRY_MAX_MS", 8000)) / 1000
# /readyz fails its "tasks" check when a task ready to run has waited longer than this (no worker
# takes tasks); 0 turns the check off (mofan/core/health.py).
MOFAN_READY_TASK_WAIT_SECONDS = max(0, env_int("MOFAN_READY_TASK_WAIT_SECONDS", 600))
# Files under MEDIA_ROOT no row names (a worker killed between writing a file and committing its
# row, a rolled-back enclosing transaction) are deleted by `manage.py media_sweep --delete` once
# older than this (mofan/core/files.py).
MOFAN_ORPHAN_MIN_AGE_HOURS = max(1, env_int("MOFAN_ORPHAN_MIN_AGE_HOURS", 24))

# --- Malware scanning (ClamAV's clamd; mofan/core/malware.py, docs/deploy.md) ------------------
# Every upload is streamed to clamd before it is parsed or stored: over its unix socket
# (MOFAN_CLAMD_SOCKET, e.g. /run/clamav/clamd.ctl) or, when that is unset, over TCP
# (MOFAN_CLAMD_HOST, MOFAN_CLAMD_PORT). Neither set: nothing is scanned (development);
# `manage.py check --deploy` warns about that in production (mofan.W002).
MOFAN_CLAMD_SOCKET = env_str("MOFAN_CLAMD_SOCKET") or ""
MOFAN_CLAMD_HOST = env_str("MOFAN_CLAMD_HOST") or ""
MOFAN_CLAMD_PORT = env_int("MOFAN_CLAMD_PORT", 3310)
# Seconds to wait on the connection to clamd before giving up on a verdict.
MOFAN_CLAMD_TIMEOUT = max(1, env_int("MOFAN_CLAMD_TIMEOUT", 30))
# clamd configured but unreachable, timing out or answering an error: refuse the upload (fail
# closed, the production default) or, when off, log a warning and accept it unscanned.
MOFAN_CLAMD_FAIL_CLOSED = env_bool("MOFAN_CLAMD_FAIL_CLOSED", PRODUCTION)
# --- end of malware scanning ---------------------------------------------------------------------
