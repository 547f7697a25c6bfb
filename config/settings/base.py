"""Settings shared by every environment.

Values come from the environment (django-environ). When DATABASE_URL / REDIS_URL are not set,
the private services that `make run` / `make test` start write theirs to `.services/env`,
which is read here so that `./manage.py` works in the same checkout without any setup.
"""
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
_services_env = BASE_DIR / ".services" / "env"
if _services_env.exists():
    environ.Env.read_env(str(_services_env), overwrite=False)

SECRET_KEY = env("SECRET_KEY", default="dev-insecure-cellpass-key-change-me-in-production-0123456789")
DEBUG = env.bool("DEBUG", default=False)

# The bare host serves the public site; every organisation gets `<slug>.<CELLPASS_DOMAIN>`.
CELLPASS_DOMAIN = env("CELLPASS_DOMAIN", default="localhost")
# Port appended to generated absolute URLs (development servers listen on 8000).
CELLPASS_PORT = env("CELLPASS_PORT", default="8000")
CELLPASS_SCHEME = env("CELLPASS_SCHEME", default="http")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[CELLPASS_DOMAIN, f".{CELLPASS_DOMAIN}", "127.0.0.1"])

SHARED_APPS = [
    # Our tenants app comes first so that its `migrate` command (which also keeps the
    # template schema migrated) wins over django-tenants' own.
    "apps.tenants",
    "django_tenants",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "apps.core",
    "apps.accounts",
    "apps.custody",
    "apps.audits",
    "apps.api",
    # Public registry of issued dossier hashes (public schema; the dossiers themselves are tenant data).
    "apps.dossiers.registry",
]

TENANT_APPS = [
    "django.contrib.contenttypes",
    "apps.activity",
    "apps.traceability",
    "apps.evidence",
    "apps.checklists",
    "apps.dossiers",
    "apps.exports",
    "apps.audits.findings",
]

INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenants.Organisation"
TENANT_DOMAIN_MODEL = "tenants.Domain"
# New organisations are cloned from this template schema instead of running every migration.
TENANT_BASE_SCHEMA = "tenant_template"
TENANT_CREATION_FAKES_MIGRATIONS = True
PUBLIC_SCHEMA_URLCONF = "config.urls_public"
ROOT_URLCONF = "config.urls_tenant"
DATABASE_ROUTERS = ("django_tenants.routers.TenantSyncRouter",)

MIDDLEWARE = [
    "apps.tenants.middleware.OrganisationMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "apps.accounts.middleware.UserLanguageMiddleware",
    "apps.accounts.middleware.AccessMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "apps.accounts.context_processors.navigation",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

DATABASES = {"default": env.db("DATABASE_URL", default="postgres://cellpass@127.0.0.1:5432/cellpass")}
DATABASES["default"]["ENGINE"] = "django_tenants.postgresql_backend"
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:organisations"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24

# Lockout after repeated failed sign-ins (django-axes), per e-mail and client address.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 60 * 60 * 12
CSRF_COOKIE_HTTPONLY = False

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "config" / "locale"]
LANGUAGE_COOKIE_NAME = "cellpass_language"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"

# Private file storage: never under the web root, served only by authorised views.
PRIVATE_STORAGE_ROOT = Path(env("PRIVATE_STORAGE_ROOT", default=str(BASE_DIR / "var" / "private")))
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(PRIVATE_STORAGE_ROOT), "base_url": None},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if env("AWS_STORAGE_BUCKET_NAME", default=""):
    # S3-compatible object storage (AWS S3, MinIO, Ceph ...): files stay private, URLs are never public.
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env("AWS_STORAGE_BUCKET_NAME"),
            "endpoint_url": env("AWS_S3_ENDPOINT_URL", default=None),
            "region_name": env("AWS_S3_REGION_NAME", default=None),
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", default=str(BASE_DIR / "var" / "mail"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Cellpass <no-reply@cellpass.localhost>")
if env("EMAIL_URL", default=""):
    vars().update(env.email("EMAIL_URL"))

# Who may act inside an organisation: each resolver returns an Access or None (first match wins).
ACCESS_RESOLVERS = ["apps.accounts.access.membership_access", "apps.audits.access.engagement_access"]
# Idempotent demo seeders run by `manage.py seed_demo`, in order.
DEMO_SEEDERS = ["apps.accounts.demo.seed"]  # the full, ordered list is set at the end of this file

INVITATION_VALID_DAYS = env.int("INVITATION_VALID_DAYS", default=7)

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
    }
}

# Celery: Redis broker, tenant-aware tasks, late acknowledgement so a killed worker's task is redelivered.
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_ROUTES = {"*.render_*": {"queue": "pdf"}}
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_TENANT_CACHE_SECONDS = 30
CELERY_BEAT_SCHEDULE: dict = {}
CELERY_TIMEZONE = "UTC"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.api.authentication.ApiKeyAuthentication",
        "apps.api.authentication.MemberSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["apps.api.permissions.IsOrganisationMember"],
    "DEFAULT_PAGINATION_CLASS": "apps.api.pagination.CursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "apps.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "apps.api.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Cellpass API",
    "DESCRIPTION": "Traceability, evidence and compliance API of one organisation. "
    "Authenticate with `Authorization: Api-Key <key>` or a browser session.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "weasyprint": {"level": "WARNING"},
                "fontTools": {"level": "WARNING"}},
}

# Upload limits (evidence files are streamed, never read into memory whole).
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

CSRF_FAILURE_VIEW = "apps.core.views.csrf_failure"

CELERY_BEAT_SCHEDULE.update({
    # 02:10 UTC nightly: verify every organisation's activity hash chain, so tampering shows up
    # on the activity page even when nobody asks.
    "activity-chain-check": {
        "task": "apps.activity.tasks.activity_chain_check_all_task",
        "schedule": crontab(hour=2, minute=10),
    },
})

# --- Auditor engagements and the TOTP second factor (apps.audits) ------------------------------
# Member roles that must sign in with a TOTP second factor; auditors always must (an engagement
# only grants access to a session verified by TOTP).
OTP_REQUIRED_ROLES = env.list("OTP_REQUIRED_ROLES", default=["owner"])
# After the password, the TOTP step (verification, or enrolment when required and missing).
SIGN_IN_SECOND_FACTOR = "apps.audits.twofactor.views.sign_in_second_factor"
OTP_TOTP_ISSUER = "Cellpass"
# Longest engagement window an organisation may grant, in days.
ENGAGEMENT_MAX_DAYS = env.int("ENGAGEMENT_MAX_DAYS", default=366)
MIDDLEWARE += [
    # Owners (OTP_REQUIRED_ROLES) without a verified session are sent to the TOTP step; a
    # half-finished sign-in (password without TOTP) reaches nothing but that step.
    "apps.audits.middleware.SecondFactorMiddleware",
    # Every request made through an auditor engagement is written to its access log.
    "apps.audits.middleware.EngagementAccessLogMiddleware",
]

# --- Exports and reporting (capability 8) ---------------------------------------------------------
# Public-schema index of passport identifiers, so the public passport page resolves a scanned
# GS1 Digital Link path to its organisation in one lookup (apps/exports/registry/models.py).
SHARED_APPS += ["apps.exports.registry"]
INSTALLED_APPS += ["apps.exports.registry"]
# Columns of the traceability-platform upload file (CSV/XLSX). The platform's official format is not
# published, so the layout is configurable: any of apps.exports.reporting.COLUMN_LABELS, in order.
CELLPASS_PLATFORM_EXPORT_COLUMNS = env.list("CELLPASS_PLATFORM_EXPORT_COLUMNS",
                                            default=["code", "event", "date", "counterparty", "mass_kg"])
# The public passport endpoint (bare host) is listed in the organisation API's schema too.
SPECTACULAR_SETTINGS["PREPROCESSING_HOOKS"] = [*SPECTACULAR_SETTINGS.get("PREPROCESSING_HOOKS", []),
                                               "apps.api.v1.exports.public_endpoints_hook"]
SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"] = [
    *SPECTACULAR_SETTINGS.get("POSTPROCESSING_HOOKS", ["drf_spectacular.hooks.postprocess_schema_enums"]),
    "apps.api.v1.exports.public_servers_hook"]
# After the traceability seeder (the exports seeder also creates what it needs when run first).
CELERY_BEAT_SCHEDULE.update({
    # 02:40 UTC nightly (10:40 in China, after the night's imports): derive traceability-platform
    # reporting events from the register and recount provisional deadlines in every organisation.
    "exports-reporting-sync": {
        "task": "apps.exports.tasks.reporting_events_sync_all_task",
        "schedule": crontab(hour=2, minute=40),
    },
})

# --- Evidence vault (apps/evidence) ---------------------------------------------------------------
# Largest evidence file accepted (bytes). Uploads are streamed to disk and hashed in 1 MiB chunks by
# apps.evidence.storage.EvidenceUploadHandler (installed by the vault's upload views and API), so the
# limit costs disk, never memory.
EVIDENCE_MAX_UPLOAD_BYTES = env.int("EVIDENCE_MAX_UPLOAD_BYTES", default=2 * 1024 ** 3)
# Uploads in flight; empty = beside the private storage root (same file system: storing is a rename).
EVIDENCE_UPLOAD_TEMP_DIR = env("EVIDENCE_UPLOAD_TEMP_DIR", default="") or None
# Archive bomb limits (zip, xlsx, docx): expansion ratio, total expanded bytes, members, nesting depth.
EVIDENCE_ARCHIVE_MAX_RATIO = env.int("EVIDENCE_ARCHIVE_MAX_RATIO", default=200)
EVIDENCE_ARCHIVE_MAX_EXPANDED_BYTES = env.int("EVIDENCE_ARCHIVE_MAX_EXPANDED_BYTES", default=1024 ** 3)
EVIDENCE_ARCHIVE_MAX_MEMBERS = env.int("EVIDENCE_ARCHIVE_MAX_MEMBERS", default=10_000)
EVIDENCE_ARCHIVE_MAX_DEPTH = env.int("EVIDENCE_ARCHIVE_MAX_DEPTH", default=1)
# After the register's seeder (shipments and lots are found or created by reference / code).
CELERY_BEAT_SCHEDULE.update({
    # 01:30 UTC nightly: mark revisions whose expiry date has passed as expired (every organisation),
    # and remove stored files that no revision refers to. Before the 02:10 chain check.
    "evidence-nightly": {
        "task": "apps.evidence.tasks.evidence_nightly_all_task",
        "schedule": crontab(hour=1, minute=30),
    },
})
# --- custody ledger (apps/custody) ---
# A receipt whose net mass differs from the declared one by more than this (percent of the declared mass)
# opens a discrepancy. 0.5 % follows the physical-vs-book tolerance example of REFERENCE §5.2 ([U]: agree
# it per contract). Copied onto each transfer at dispatch, so changing it never rewrites history.
CUSTODY_MASS_TOLERANCE_PERCENT = env("CUSTODY_MASS_TOLERANCE_PERCENT", default="0.5")  # a decimal, as text
CUSTODY_UNIT_TOLERANCE = env.int("CUSTODY_UNIT_TOLERANCE", default=0)  # every battery is counted
# --- Checklists (apps.checklists) ----------------------------------------------------------------
# Seconds a re-evaluation waits after a change so that the changes that follow join it (coalescing).
CHECKLIST_DEBOUNCE_SECONDS = env.float("CHECKLIST_DEBOUNCE_SECONDS", default=2.0)
# Redis for the pending-changes sets; empty: the cache's Redis.
CHECKLIST_REDIS_URL = env("CHECKLIST_REDIS_URL", default="")
# Deployment values of [U] protocol parameters, e.g. the date a delegated act enters into force:
# CHECKLIST_PARAMETERS='{"eu-art7-carbon-footprint": {"act_date": "2026-03-01"}}'
CHECKLIST_PARAMETERS = env.json("CHECKLIST_PARAMETERS", default={})
# Runs after the register and evidence seeders, so that the demo shipments exist.
CELERY_BEAT_SCHEDULE.update({
    # 02:40 UTC nightly: re-evaluate every scope of every organisation, so that expiring documents and
    # obligations coming into force show up without any change to the data.
    "checklists-nightly": {
        "task": "apps.checklists.tasks.checklists_nightly_task",
        "schedule": crontab(hour=2, minute=40),
    },
})

# Idempotent demo seeders run by `manage.py seed_demo`, in this order: people and organisations, then
# the register, the evidence behind it, custody between organisations, passports and reporting,
# checklist evaluations, and the auditor's engagement and finding.
DEMO_SEEDERS = [
    "apps.accounts.demo.seed",
    "apps.traceability.demo.seed",
    "apps.evidence.demo.seed",
    "apps.custody.demo.seed",
    "apps.exports.demo.seed",
    "apps.checklists.demo.seed",
    "apps.audits.demo.seed",
    "apps.dossiers.demo.seed",  # last: renders a dossier of the demo shipment
]
# --- Traceability register (apps/traceability) ----------------------------------------------
# GB/T 34014 [U] switches (REFERENCE §2.1): the 19-character cascade-use form, and a year/day decoding
# table from apps.traceability.codes.DATE_TABLES ("" = check character classes only).
TRACEABILITY_GBT34014 = {
    "accept_cascade_form": env.bool("TRACEABILITY_GBT_CASCADE_FORM", default=True),
    "date_table": env("TRACEABILITY_GBT_DATE_TABLE", default=""),
}
# Extra EU List of Waste codes {"6 digits": hazardous?}, e.g. the 2025/934 codes once loaded [U].
TRACEABILITY_WASTE_CODES: dict[str, bool] = {}
# Resolvers allowed in EU passport identifiers (empty: any https host).
TRACEABILITY_PASSPORT_HOSTS: list[str] = env.list("TRACEABILITY_PASSPORT_HOSTS", default=[])
TRACEABILITY_IMPORT_MAX_BYTES = env.int("TRACEABILITY_IMPORT_MAX_BYTES", default=256 * 1024 * 1024)
TRACEABILITY_IMPORT_MAX_ROWS = env.int("TRACEABILITY_IMPORT_MAX_ROWS", default=2_000_000)
TRACEABILITY_IMPORT_SYNC_MAX_ROWS = env.int("TRACEABILITY_IMPORT_SYNC_MAX_ROWS", default=5_000)
SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {}).update({
    "UnitStatusEnum": "apps.traceability.models.UnitStatus",
    "ShipmentStatusEnum": "apps.traceability.models.ShipmentStatus",
    "InitialShipmentStatusEnum": [("draft", "Draft"), ("dispatched", "Dispatched"), ("received", "Received")],
    "RecodeStatusEnum": [("repurposed", "Repurposed"), ("remanufactured", "Remanufactured")],
    "LotKindEnum": "apps.traceability.models.LotKind",
    "ImportKindEnum": "apps.traceability.models.ImportKind",
})

# --- Dossiers (apps.dossiers) ---------------------------------------------------------------
# Unit-list annex pages per render part: parts render separately (in parallel on several PDF workers)
# and are merged; smaller parts cap each worker's memory.
DOSSIER_PART_PAGES = env.int("DOSSIER_PART_PAGES", default=40)
# Render parts as separate Celery tasks (a chord) when a dossier has more than one part.
DOSSIER_PARALLEL_PARTS = env.bool("DOSSIER_PARALLEL_PARTS", default=True)
# Attach the evidence files themselves to the PDF/A-3 file (relationship /Source), up to this many bytes.
DOSSIER_ATTACH_EVIDENCE = env.bool("DOSSIER_ATTACH_EVIDENCE", default=False)
DOSSIER_ATTACH_MAX_BYTES = env.int("DOSSIER_ATTACH_MAX_BYTES", default=20 * 1024 * 1024)
# Public verification page: largest upload accepted (never stored).
DOSSIER_VERIFY_MAX_BYTES = env.int("DOSSIER_VERIFY_MAX_BYTES", default=50 * 1024 * 1024)
# PAdES signature of every dossier with the platform's key (apps/dossiers/signing.py); unset: sealed, not signed.
DOSSIER_SIGNING_KEY = env("DOSSIER_SIGNING_KEY", default="")
DOSSIER_SIGNING_CERT = env("DOSSIER_SIGNING_CERT", default="")
DOSSIER_SIGNING_KEY_PASSPHRASE = env("DOSSIER_SIGNING_KEY_PASSPHRASE", default="")
# Further certificates whose signatures verifiers accept (e.g. the previous one after a key rollover).
DOSSIER_SIGNING_TRUST = env.list("DOSSIER_SIGNING_TRUST", default=[])
