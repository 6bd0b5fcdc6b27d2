"""Settings, read from the environment (see .env.example for every variable).

Development needs nothing set: SQLite under var/, DEBUG on, the outbox for messages.
A bad value stops start-up with ImproperlyConfigured naming the variable.
"""

import datetime as dt
import math
import re
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import environ
import phonenumbers
from django.core.exceptions import ImproperlyConfigured

from dentalai.database import database_from_url, is_mongodb
from dentalai.env import (
    boolean,
    clock_time,
    durations,
    email_address,
    env,
    integer,
    key_values,
    matching,
    money,
    phone,
    read,
    text,
    url,
    weekdays,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

environ.Env.read_env(BASE_DIR / ".env")  # optional; real environment variables win


DEBUG = boolean("DEBUG", True)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = read(
    "ALLOWED_HOSTS", env.list, ["localhost", "127.0.0.1", "[::1]", "testserver"] if DEBUG else []
)
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is off.")
CSRF_TRUSTED_ORIGINS = read("CSRF_TRUSTED_ORIGINS", env.list, [])

# Public base URL of this site, used in links we send (booking, unsubscribe).
SITE_URL = read("SITE_URL", env.url, "http://127.0.0.1:8000").geturl().rstrip("/")
if not DEBUG and not SITE_URL.startswith("https://"):
    # It is in every booking and unsubscribe link a patient gets.
    raise ImproperlyConfigured(
        f"SITE_URL must be an https:// URL when DEBUG is off, not {SITE_URL!r}"
    )

# --- Database ------------------------------------------------------------------------------
DATABASE_URL = env.str("DATABASE_URL", default="")
DATABASE_POOL_SIZE = read("DATABASE_POOL_SIZE", env.int, 0)
if not 0 <= DATABASE_POOL_SIZE <= 500:
    raise ImproperlyConfigured("DATABASE_POOL_SIZE must be between 0 (no pool) and 500")
DATABASES = {
    "default": database_from_url(DATABASE_URL, sqlite_dir=VAR_DIR, pool_size=DATABASE_POOL_SIZE)
}
USE_MONGODB = is_mongodb(DATABASES["default"])

# --- Applications --------------------------------------------------------------------------
# On MongoDB the contrib apps and django_q need ObjectId primary keys: their AppConfigs and
# migration modules (mongo_migrations/) differ; our own apps declare portable primary keys and
# share one migration set on every backend.
if USE_MONGODB:
    _BASE_APPS = [
        "dentalai.mongo_apps.MongoAdminConfig",
        "dentalai.mongo_apps.MongoAuthConfig",
        "dentalai.mongo_apps.MongoContentTypesConfig",
        "django.contrib.sessions",
        "django.contrib.messages",
        "django.contrib.staticfiles",
        "django_mongodb_backend",
        "dentalai.mongo_apps.MongoDjangoQConfig",
    ]
    DEFAULT_AUTO_FIELD = "django_mongodb_backend.fields.ObjectIdAutoField"
    MIGRATION_MODULES = {
        "admin": "mongo_migrations.admin",
        "auth": "mongo_migrations.auth",
        "contenttypes": "mongo_migrations.contenttypes",
        "django_q": "mongo_migrations.django_q",
    }
else:
    _BASE_APPS = [
        "django.contrib.admin",
        "django.contrib.auth",
        "django.contrib.contenttypes",
        "django.contrib.sessions",
        "django.contrib.messages",
        "django.contrib.staticfiles",
        "django_q",
    ]
    DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    *_BASE_APPS,
    "dentalai",
    "patients",
    "campaigns",
    "appointments",
    "agent",
    "messaging",
    "django_htmx",
    "csp",
    "dashboard",
    "booking",
    "demo",
]

# Bodies over this are refused with a 413 (dentalai.middleware.RequestLimitsMiddleware); no
# request the product takes comes near it (a Gmail push is ~1 KB, a Twilio form ~2 KB).
REQUEST_BODY_MAX_BYTES = integer("REQUEST_BODY_MAX_BYTES", 1_048_576, 65_536, 52_428_800)
DATA_UPLOAD_MAX_MEMORY_SIZE = REQUEST_BODY_MAX_BYTES
# The one page that takes a large body: a practice-management export (100,000 patients are
# ~15 MB of CSV). Uploaded files above FILE_UPLOAD_MAX_MEMORY_SIZE go to a temporary file.
IMPORT_UPLOAD_MAX_BYTES = integer("IMPORT_UPLOAD_MAX_BYTES", 52_428_800, 1_048_576, 524_288_000)
REQUEST_BODY_MAX_BYTES_BY_PATH = {"/patients/import/": IMPORT_UPLOAD_MAX_BYTES}
# An import whose job has not reported a page for this long was stopped (its worker killed):
# the broker's retry or the page's Resume take it over after its last page.
IMPORT_STALL_SECONDS = integer("IMPORT_STALL_SECONDS", 120, 5, 3600)
MIDDLEWARE = [
    # First: the limits, the 503 and the API's JSON error shape hold for every request.
    "dentalai.middleware.RequestLimitsMiddleware",
    # Answers Pub/Sub's Gmail pushes before the rest of the stack (see it).
    "messaging.middleware.GmailPushShortcutMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Before anything reads the request into the database (dentalai.untrusted).
    "dentalai.middleware.RefuseControlCharactersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "dentalai.urls"
WSGI_APPLICATION = "dentalai.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dentalai.context_processors.clinic",
            ],
        },
    },
]

# --- Staff accounts --------------------------------------------------------------------------
AUTH_USER_MODEL = "dentalai.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "dashboard:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "dashboard:login"

# --- Clinic ----------------------------------------------------------------------------------
CLINIC_NAME = env.str("CLINIC_NAME", default="Bright Smile Dental")
CLINIC_POSTAL_ADDRESS = env.str(
    "CLINIC_POSTAL_ADDRESS", default="120 Main Street, Springfield, NY 10001"
)
CLINIC_TIME_ZONE = env.str("CLINIC_TIME_ZONE", default="America/New_York")
try:
    ZoneInfo(CLINIC_TIME_ZONE)
except (ZoneInfoNotFoundError, ValueError) as exc:
    raise ImproperlyConfigured(
        f"CLINIC_TIME_ZONE: {CLINIC_TIME_ZONE!r} is not an IANA time zone name"
    ) from exc

# Phone numbers without a country code are read in this region (ISO 3166 code).
PHONE_REGION = env.str("PHONE_REGION", default="US").upper()
if PHONE_REGION not in phonenumbers.SUPPORTED_REGIONS:
    raise ImproperlyConfigured(f"PHONE_REGION: {PHONE_REGION!r} is not a region code like US")

# --- API and booking -------------------------------------------------------------------------
# Staff API tokens (HS256). The signing key defaults to SECRET_KEY.
JWT_SIGNING_KEY = env.str("JWT_SIGNING_KEY", default="") or SECRET_KEY
JWT_LIFETIME_MINUTES = read("JWT_LIFETIME_MINUTES", env.int, 15)
# Throttles ("count/period", period s, m, h or d, e.g. "10/15m"): login per client IP and per
# email, public booking per client IP.
LOGIN_RATE_PER_IP = env.str("LOGIN_RATE_PER_IP", default="20/15m")
LOGIN_RATE_PER_EMAIL = env.str("LOGIN_RATE_PER_EMAIL", default="5/15m")
LOGIN_RATE_PER_ACCOUNT = env.str("LOGIN_RATE_PER_ACCOUNT", default="10/15m")
BOOKING_RATE_PER_IP = env.str("BOOKING_RATE_PER_IP", default="20/h")
# Behind a proxy: how many proxies append to X-Forwarded-For (the client is the one before).
NINJA_NUM_PROXIES = read("NUM_PROXIES", env.int, 0)
# Public booking: offered start times are this many minutes apart (a multiple of 15), no
# sooner than this lead time; a booking link stays valid this many days.
BOOKING_SLOT_STEP_MINUTES = read("BOOKING_SLOT_STEP_MINUTES", env.int, 30)
BOOKING_MIN_LEAD_MINUTES = read("BOOKING_MIN_LEAD_MINUTES", env.int, 120)
BOOKING_LINK_MAX_AGE_DAYS = read("BOOKING_LINK_MAX_AGE_DAYS", env.int, 30)
# New patients (SPEC §10): "on" — the booking page creates the patient a contact matches no one
# (the API keeps answering 404); "all" — the API too; "off" — only patients the clinic has.
BOOKING_NEW_PATIENTS = env.str("BOOKING_NEW_PATIENTS", default="on").strip().lower()
if BOOKING_NEW_PATIENTS not in ("on", "all", "off"):
    raise ImproperlyConfigured("BOOKING_NEW_PATIENTS: on, all or off")
if BOOKING_SLOT_STEP_MINUTES <= 0 or BOOKING_SLOT_STEP_MINUTES % 15:
    raise ImproperlyConfigured("BOOKING_SLOT_STEP_MINUTES must be a positive multiple of 15.")
for _rate_name in (
    "LOGIN_RATE_PER_IP",
    "LOGIN_RATE_PER_EMAIL",
    "LOGIN_RATE_PER_ACCOUNT",
    "BOOKING_RATE_PER_IP",
):
    if not re.fullmatch(r"\d+/\d*(s|sec|m|min|h|hour|d|day)", globals()[_rate_name]):
        raise ImproperlyConfigured(f"{_rate_name}: expected a rate like 10/15m")

# --- Messaging -------------------------------------------------------------------------------
# Outbound backend per channel. The outbox keeps messages in the database (offline, demos).
_OUTBOX = "messaging.backends.outbox.OutboxBackend"
MESSAGING_BACKENDS = {
    "email": env.str("EMAIL_BACKEND_CLASS", default=_OUTBOX),
    "sms": env.str("SMS_BACKEND_CLASS", default=_OUTBOX),
    "whatsapp": env.str("WHATSAPP_BACKEND_CLASS", default=_OUTBOX),
}
# Who answers a patient's message once messaging has matched it to a campaign: the agent, which
# sits above messaging and so is named here rather than imported (docs/ARCHITECTURE.md).
# Called as handler(campaign_id=, text=, external_id=, channel=); returns an object with
# `.outcome`.
INBOUND_REPLY_HANDLER = "agent.services.agent_handle_reply"
# ... and a message from a known patient with no campaign, who may be answering a visit's
# confirmation or reminder: handler(patient_id=, text=, external_id=, channel=) returns its
# outcome, "" when it answers no visit message, "for_staff" when staff must read it.
INBOUND_VISIT_REPLY_HANDLER = "agent.visit_replies.agent_handle_visit_reply"

# Campaign defaults.
CAMPAIGN_MAX_ATTEMPTS = read("CAMPAIGN_MAX_ATTEMPTS", env.int, 3)
RECOVERY_COOLDOWN_DAYS = read("RECOVERY_COOLDOWN_DAYS", env.int, 180)
if CAMPAIGN_MAX_ATTEMPTS < 1:
    raise ImproperlyConfigured("CAMPAIGN_MAX_ATTEMPTS must be at least 1.")
if RECOVERY_COOLDOWN_DAYS < 0:
    raise ImproperlyConfigured("RECOVERY_COOLDOWN_DAYS must not be negative.")

# --- Channels (SPEC §6) -----------------------------------------------------------------------
# Each is optional until its channel is used (messaging.conf `required` names what is missing).
GMAIL_ADDRESS = email_address("GMAIL_ADDRESS")
GMAIL_CREDENTIALS_FILE = text("GMAIL_CREDENTIALS_FILE")
GMAIL_TOKEN_FILE = text("GMAIL_TOKEN_FILE") or str(BASE_DIR / "var" / "gmail-token.json")
GMAIL_SERVICE_ACCOUNT_FILE = text("GMAIL_SERVICE_ACCOUNT_FILE")
GMAIL_TOPIC = matching(
    "GMAIL_TOPIC", r"projects/[^/\s]+/topics/[^/\s]+", "a topic like projects/PROJECT/topics/TOPIC"
)
GMAIL_RESYNC_MAX = integer("GMAIL_RESYNC_MAX", 50, 1, 500)
PUBSUB_VERIFICATION_TOKEN = text("PUBSUB_VERIFICATION_TOKEN")
PUBSUB_AUDIENCE = text("PUBSUB_AUDIENCE")
PUBSUB_SERVICE_ACCOUNT_EMAIL = email_address("PUBSUB_SERVICE_ACCOUNT_EMAIL")
INCOMING_WEBHOOK_SECRET = text("INCOMING_WEBHOOK_SECRET")
TWILIO_ACCOUNT_SID = matching("TWILIO_ACCOUNT_SID", r"AC[0-9a-fA-F]{32}", "an AC… SID")
TWILIO_AUTH_TOKEN = text("TWILIO_AUTH_TOKEN")
TWILIO_FROM_NUMBER = phone("TWILIO_FROM_NUMBER")
TWILIO_MESSAGING_SERVICE_SID = matching(
    "TWILIO_MESSAGING_SERVICE_SID", r"MG[0-9a-fA-F]{32}", "an MG… SID"
)
# The WhatsApp sender, written with or without its "whatsapp:" prefix.
TWILIO_WHATSAPP_FROM = phone("TWILIO_WHATSAPP_FROM", prefix="whatsapp:", optional_prefix=True)
# Approved WhatsApp templates per message kind ("outreach=HX…,default=HX…"); the kinds are
# checked against campaigns.choices.MessageKind when the messaging app starts.
TWILIO_WHATSAPP_TEMPLATE_SIDS = key_values(
    "TWILIO_WHATSAPP_TEMPLATE_SIDS", r"HX[0-9a-fA-F]{32}", "kind=HX… (a Content SID)"
)
TWILIO_API_BASE_URL = url("TWILIO_API_BASE_URL")
WEBHOOK_PUBLIC_URL = url("WEBHOOK_PUBLIC_URL")
SEND_RETRY_MAX = integer("SEND_RETRY_MAX", 4, 0, 10)
SEND_RETRY_BASE_SECONDS = integer("SEND_RETRY_BASE_SECONDS", 60, 1, 3600)
# An outgoing webhook's receiver answers within this, or the attempt is retried later.
OUTGOING_WEBHOOK_TIMEOUT_SECONDS = read("OUTGOING_WEBHOOK_TIMEOUT_SECONDS", env.float, 10.0)
if not 0 < OUTGOING_WEBHOOK_TIMEOUT_SECONDS <= 30:
    raise ImproperlyConfigured("OUTGOING_WEBHOOK_TIMEOUT_SECONDS must be between 0 and 30")
SEND_TIMEOUT_SECONDS = read("SEND_TIMEOUT_SECONDS", env.float, 15.0)
if not 0 < SEND_TIMEOUT_SECONDS <= 120:
    raise ImproperlyConfigured("SEND_TIMEOUT_SECONDS must be between 0 and 120")

# --- The agent (SPEC §5) ----------------------------------------------------------------------
AGENT_LLM = text("AGENT_LLM", "offline").lower()
if AGENT_LLM not in ("offline", "openai"):
    raise ImproperlyConfigured(f"AGENT_LLM: {AGENT_LLM!r} is not 'offline' or 'openai'")
OPENAI_API_KEY = env.str("OPENAI_API_KEY", default="")
if AGENT_LLM == "openai" and not OPENAI_API_KEY:
    raise ImproperlyConfigured("OPENAI_API_KEY must be set when AGENT_LLM=openai")
OPENAI_MODEL = text("OPENAI_MODEL", "gpt-4o-mini")
OPENAI_BASE_URL = text("OPENAI_BASE_URL")
if OPENAI_BASE_URL and not re.match(r"https?://", OPENAI_BASE_URL):
    raise ImproperlyConfigured(f"OPENAI_BASE_URL: {OPENAI_BASE_URL!r} is not an http(s) URL")
OPENAI_TIMEOUT_SECONDS = read("OPENAI_TIMEOUT_SECONDS", env.float, 20.0)
if OPENAI_TIMEOUT_SECONDS <= 0:
    raise ImproperlyConfigured("OPENAI_TIMEOUT_SECONDS must be positive")
OPENAI_MAX_RETRIES = integer("OPENAI_MAX_RETRIES", 2, 0, 5)
# The longest the handling of one patient message may take: the model's tries, each up to its
# timeout, and the SDK's waits between them (at most 60 s, when the server asks for it); or the
# offline brain, loading its model the first time; then the reply and the staff notice, each a
# send. Event leases, the drain's pacing and the job timeout come from it (SPEC §9.1), so no
# job is ever cut off in the middle of a decision.
if AGENT_LLM == "openai":
    _TRIES = OPENAI_MAX_RETRIES + 1
    _DECISION_SECONDS_MAX = OPENAI_TIMEOUT_SECONDS * _TRIES + 60 * OPENAI_MAX_RETRIES
else:
    _DECISION_SECONDS_MAX = 30.0
MESSAGE_HANDLING_SECONDS_MAX = _DECISION_SECONDS_MAX + 2 * SEND_TIMEOUT_SECONDS + 10
# When proactive messages may go, clinic time; never outside 08:00-21:00 (TCPA).
# Visit reminders (SPEC §10): how long before each visit, e.g. "48h,2h"; empty for none.
REMINDER_OFFSETS = durations("REMINDER_OFFSETS", "48h,2h")
# The ASAP list (SPEC §10): a freed time goes to this many waiting patients at once, the next
# ones this many minutes later while nobody has booked it.
ASAP_BATCH = integer("ASAP_BATCH", 5, 1, 50)
ASAP_WAIT_MINUTES = integer("ASAP_WAIT_MINUTES", 30, 1, 24 * 60)
SEND_WINDOW_START = clock_time("SEND_WINDOW_START", "09:00")
SEND_WINDOW_END = clock_time("SEND_WINDOW_END", "19:00")
SEND_WINDOW_DAYS = weekdays("SEND_WINDOW_DAYS", "mon-fri")
if not SEND_WINDOW_START < SEND_WINDOW_END:
    raise ImproperlyConfigured("SEND_WINDOW_START must be before SEND_WINDOW_END")
if dt.time(8) > SEND_WINDOW_START or dt.time(21) < SEND_WINDOW_END:
    raise ImproperlyConfigured(
        "SEND_WINDOW_START/SEND_WINDOW_END must stay within 08:00-21:00 clinic time"
    )
FOLLOW_UP_INTERVAL_DAYS = read("FOLLOW_UP_INTERVAL_DAYS", env.float, 3.0)
if FOLLOW_UP_INTERVAL_DAYS < 1:
    raise ImproperlyConfigured("FOLLOW_UP_INTERVAL_DAYS must be at least 1")
HANDOFF_NOTIFY_EMAIL = email_address("HANDOFF_NOTIFY_EMAIL")

# --- Scheduler (SPEC §7) ---------------------------------------------------------------------
# Re-run `manage.py setup_schedules` after changing one (a deploy and `make run` do).
DAILY_TRIGGER_TIME = clock_time("DAILY_TRIGGER_TIME", "07:00")  # clinic wall-clock time
# Every 1-60 minutes: under a minute the scheduler's own 30 s tick is the limit.
FOLLOWUP_INTERVAL_MINUTES = integer("FOLLOWUP_INTERVAL_MINUTES", 5, 1, 60)
FOLLOWUP_BATCH_SIZE = integer("FOLLOWUP_BATCH_SIZE", 500, 1, 10_000)
GMAIL_POLL_MINUTES = integer("GMAIL_POLL_MINUTES", 5, 1, 60)
# A recovered lead's first visit (new-patient exam, X-rays, cleaning), and a recall visit
# (cleaning and checkup): staff correct it per campaign once the treatment is known.
RECOVERY_ESTIMATED_VALUE = money("RECOVERY_ESTIMATED_VALUE", "300.00")
RECALL_ESTIMATED_VALUE = money("RECALL_ESTIMATED_VALUE", "200.00")

# --- Internationalisation --------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"  # storage and logs; the clinic's zone is CLINIC_TIME_ZONE
USE_I18N = True
USE_TZ = True

# --- Static files ----------------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=VAR_DIR / "staticfiles")
Path(STATIC_ROOT).mkdir(parents=True, exist_ok=True)  # whitenoise warns about a missing one
WHITENOISE_USE_FINDERS = DEBUG  # development serves app static files without collectstatic
# Uploaded files (a patient import's export, until it is imported); never served over HTTP.
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Cache ----------------------------------------------------------------------------------
# Per-process memory by default. The throttles count in the database, which every web process
# shares; with CACHE_URL=redis://… (e.g. redis://127.0.0.1:6379/1) they count in Redis instead.
CACHES = {"default": read("CACHE_URL", env.cache_url, "locmemcache://")}

# --- Background jobs (django-q2) -------------------------------------------------------------
# The ORM broker works on every database; on MongoDB run a single qcluster (its scheduler
# relies on row locks, which MongoDB does not have).
# Room for two messages' handling in one job (the drain takes no message it could not finish
# in time); the broker hands a job to another worker only after its timeout.
Q_JOB_TIMEOUT_SECONDS = max(120, math.ceil(2 * MESSAGE_HANDLING_SECONDS_MAX) + 30)
Q_CLUSTER = {
    "name": "dentalai",
    "orm": "default",
    "workers": read("Q_WORKERS", env.int, 2),
    "timeout": Q_JOB_TIMEOUT_SECONDS,
    "retry": Q_JOB_TIMEOUT_SECONDS + 60,
    "max_attempts": 3,
    "catch_up": False,
    "sync": boolean("Q_SYNC", False),
    "label": "Background jobs",
}
# Webhook events are drained by a job queued at most once per this many seconds per web
# process (messaging.ingest); 0 queues one per event.
WEBHOOK_DRAIN_COALESCE_SECONDS = read("WEBHOOK_DRAIN_COALESCE_SECONDS", env.float, 1.0)
if not 0 <= WEBHOOK_DRAIN_COALESCE_SECONDS <= 60:
    raise ImproperlyConfigured("WEBHOOK_DRAIN_COALESCE_SECONDS must be between 0 and 60")
# The broker: the database (default, every backend), Redis, or MongoDB.
Q_BROKER = text("Q_BROKER", "orm").lower()
if Q_BROKER == "redis":
    del Q_CLUSTER["orm"]
    Q_CLUSTER["redis"] = env.str("Q_REDIS_URL", default="redis://127.0.0.1:6379/0")
elif Q_BROKER == "mongodb":
    del Q_CLUSTER["orm"]
    _q_mongo_url = env.str("Q_MONGODB_URL", default=DATABASE_URL)
    if urlsplit(_q_mongo_url).scheme not in ("mongodb", "mongodb+srv"):
        raise ImproperlyConfigured("Q_MONGODB_URL: a mongodb:// URL is needed for Q_BROKER=mongodb")
    Q_CLUSTER["mongo"] = {"host": _q_mongo_url}
    Q_CLUSTER["mongo_db"] = urlsplit(_q_mongo_url).path.lstrip("/") or "dentalai"
elif Q_BROKER != "orm":
    raise ImproperlyConfigured(f"Q_BROKER: {Q_BROKER!r} is not one of orm, redis, mongodb")

# Flash messages are for signed-in staff, who have a session anyway: kept there, rather than in
# a signed cookie whose signer Django would otherwise build on every request.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# --- Security (production) -------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp): scripts, styles, images and requests from this site
# only — the pages carry no inline script and the API docs are served offline. Inline style
# attributes stay allowed: the calendar places its blocks with them, and htmx adds its
# indicator style.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = boolean("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = read("SECURE_HSTS_SECONDS", env.int, 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = boolean("SECURE_HSTS_PRELOAD", False)
    if not SECURE_HSTS_PRELOAD:
        # Preloading commits the clinic's whole domain to HTTPS for good: its IT decides.
        SILENCED_SYSTEM_CHECKS = ["security.W021"]

# --- Logging ---------------------------------------------------------------------------------
# Never log message bodies, emails or phone numbers: log ids.
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").upper()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise ImproperlyConfigured(f"LOG_LEVEL: {LOG_LEVEL!r} is not a logging level")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"no_patient_data": {"()": "dentalai.log_filters.WithholdPatientData"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["no_patient_data"],  # on every handler (dentalai/log_filters.py)
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
