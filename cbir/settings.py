"""Settings read from the environment, with embedded single-machine defaults.

Defaults: SQLite, eager Celery (no broker), files under var/. Set DATABASE_URL,
CELERY_BROKER_URL, PACS_DICOMWEB_URL, ... to switch to the scale-out parts.
"""
import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    """The variable's value; set but empty counts as unset (compose passes `${X:-}` through as "")."""
    return os.environ.get(name) or default


def env_list(name: str) -> list[str]:
    """A comma-separated variable's items, stripped, empty ones dropped."""
    return [item.strip() for item in env(name).split(",") if item.strip()]


def env_bool(name: str, default: bool) -> bool:
    return env(name, str(int(default))).strip().lower() in {"1", "true", "yes", "on"}


def env_path(name: str, default: Path) -> Path:
    return Path(env(name, str(default))).resolve()


VAR_DIR = env_path("CBIR_VAR_DIR", BASE_DIR / "var")
MEDIA_ROOT = env_path("CBIR_MEDIA_DIR", VAR_DIR / "media")
INDEX_DIR = env_path("CBIR_INDEX_DIR", VAR_DIR / "indexes")
CHECKPOINT_DIR = env_path("CHECKPOINT_DIR", VAR_DIR / "models")
DATASETS_DIR = env_path("CBIR_DATASETS", BASE_DIR.parent / "shared" / "datasets")
FRONTEND_DIST = BASE_DIR / "frontend" / "dist"


def installation_secret(env_name: str, file_name: str) -> str:
    """The environment's value, else this installation's own random one, made once under VAR_DIR/secrets.

    A shared default would be public: pseudonyms are an HMAC under this key, so anyone holding the key
    could test likely patient ids against them. A file (mode 0600) keeps the key stable across restarts,
    which linking new data to old needs; every process sharing VAR_DIR reads the same one. The file is
    made by a hard link of a complete temporary file, so it never exists empty, and of two processes
    starting at once the first one's key wins for both.
    """
    value = env(env_name, "")
    if value:
        return value
    path = VAR_DIR / "secrets" / file_name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        temporary = path.with_name(f".{file_name}.{os.getpid()}.tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink(missing_ok=True)
    value = path.read_text().strip()
    if not value:
        raise RuntimeError(f"{path} is empty: restore it from a backup (pseudonyms depend on it) or set {env_name}")
    return value


SECRET_KEY = installation_secret("DJANGO_SECRET_KEY", "django-secret-key")
# Keyed hash of patient identities -> pseudonyms (and remapped UIDs): one per installation, never shared.
PSEUDONYM_SECRET = installation_secret("CBIR_PSEUDONYM_SECRET", "pseudonym-secret")
DEBUG = env_bool("DJANGO_DEBUG", False)
# Behind a TLS-terminating proxy (DJANGO_HTTPS=1): trust its X-Forwarded-Proto, mark cookies Secure,
# redirect plain HTTP and send HSTS. CSRF_TRUSTED_ORIGINS lists the public origins (https://cbir.example.org).
HTTPS = env_bool("DJANGO_HTTPS", False)
# Addresses of the reverse proxies in front of the app: only from them is X-Forwarded-For believed
# (sign-in limits and the audit log then see the client's address, not the proxy's).
TRUSTED_PROXIES = set(env_list("CBIR_TRUSTED_PROXIES"))
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^api/health/$"]  # the container health check talks plain HTTP from inside
    SECURE_HSTS_SECONDS = int(env("DJANGO_HSTS_SECONDS", str(30 * 24 * 3600)))
CSRF_TRUSTED_ORIGINS = [origin for origin in env("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if origin]
SESSION_COOKIE_AGE = int(env("DJANGO_SESSION_SECONDS", str(12 * 3600)))  # one working day, not 14
AUTH_PASSWORD_VALIDATORS = [{"NAME": f"django.contrib.auth.password_validation.{name}"} for name in (
    "UserAttributeSimilarityValidator", "MinimumLengthValidator", "CommonPasswordValidator",
    "NumericPasswordValidator")]
# A shared cache (Redis) lets every web worker see the same failed sign-in counts; the default is per process.
if env("CBIR_CACHE_URL"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": env("CBIR_CACHE_URL")}}
LOGIN_FAILURES_PER_ACCOUNT = int(env("CBIR_LOGIN_FAILURES_PER_ACCOUNT", "10"))  # per 15 minutes
LOGIN_FAILURES_PER_ADDRESS = int(env("CBIR_LOGIN_FAILURES_PER_ADDRESS", "50"))
ALLOWED_HOSTS = env("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver").split(",")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "ingest",
    "embeddings",
    "browser",
    "frontend",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "browser.audit.AuditMiddleware",
]

ROOT_URLCONF = "cbir.urls"
WSGI_APPLICATION = "cbir.wsgi.application"

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
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'cbir.sqlite3'}"),
        conn_max_age=int(env("DATABASE_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # Several ingestion processes may write at once; wait for the lock instead of failing. IMMEDIATE: a
    # transaction takes the write lock when it begins, so the busy timeout applies; a deferred one that reads
    # then writes fails at once ("database is locked") when another writer is between its read and write.
    DATABASES["default"].setdefault("OPTIONS", {}).update(timeout=30, transaction_mode="IMMEDIATE")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [FRONTEND_DIST] if FRONTEND_DIST.is_dir() else []
WHITENOISE_USE_FINDERS = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns on every start without it

# A file above this size is refused (bytes); a request body above it plus 1 MiB of form overhead gets 413.
MAX_UPLOAD_BYTES = int(env("CBIR_MAX_UPLOAD_BYTES", str(64 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_UPLOAD_BYTES + 1024 * 1024
# Every upload stays in memory until it is de-identified: Django's default would spool a request over
# 4 MB to a temporary file, i.e. put an identifiable DICOM on disk (left behind if the worker dies).
# A multipart request over the limit is refused instead of spooled (cbir/uploads.py).
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE
FILE_UPLOAD_HANDLERS = ["cbir.uploads.MemoryOnlyUploadHandler"]
# A teaching-set export is zipped in memory; one whose images add up to more is refused with the reason.
MAX_EXPORT_BYTES = int(env("CBIR_MAX_EXPORT_BYTES", str(1024 * 1024 * 1024)))

REST_FRAMEWORK = {
    "EXCEPTION_HANDLER": "cbir.errors.api_exception_handler",
    # ?format= belongs to our exports (png, dicom), not to DRF's renderer override
    "URL_FORMAT_OVERRIDE": None,
    # Token first: its WWW-Authenticate header makes anonymous requests 401 rather than 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Every endpoint needs a signed-in user with the view's capability (browser/roles.py);
    # only sign-in, the health check and the page shell are public.
    "DEFAULT_PERMISSION_CLASSES": ["browser.permissions.HasCapability"],
}

# Celery: eager and brokerless by default, so one process does everything.
_BROKER_FROM_ENV = env("CELERY_BROKER_URL", "")
# Eager mode still builds a producer; the in-memory transport keeps it from looking for a local AMQP server.
CELERY_BROKER_URL = _BROKER_FROM_ENV or "memory://localhost/"
# The broker doubles as result backend only when it is Redis (chords need a backend; "amqp" is none).
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND",
                            _BROKER_FROM_ENV if _BROKER_FROM_ENV.startswith(("redis://", "rediss://")) else None)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not _BROKER_FROM_ENV)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Redis hands a task nobody acknowledged within this time to another worker: above any embedding chunk
# or index build (training is acknowledged at once, see embeddings/tasks.py).
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 6 * 3600}
# With the broker down, waiting for a result gives up after about a second instead of twenty.
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"retry_policy": {"max_retries": 1, "interval_start": 0,
                                                            "interval_step": 0.5, "interval_max": 0.5}}
CELERY_RESULT_EXPIRES = 3600  # shard answers are read within seconds; keep Redis from filling up
# Workers log through LOGGING's handler, whose filter masks DICOM UIDs (Celery would replace it).
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# `celery -A cbir beat` (one per installation): embed what an outage or a lost task left unembedded.
CELERY_BEAT_SCHEDULE = {"catch-up-embeddings": {"task": "embeddings.tasks.catch_up_embeddings_task",
                                                "schedule": 600.0, "options": {"expires": 540}}}
# GPU-bound work goes to "gpu" (only GPU workers consume it), embedding to "embed",
# index shards to "search"; everything else stays on the default "celery" queue.
CELERY_TASK_ROUTES = {
    "embeddings.tasks.extract_embeddings_task": {"queue": "embed"},
    "embeddings.tasks.train_encoder_task": {"queue": "gpu"},
    "browser.tasks.search_shard_task": {"queue": "search"},
}

DEFAULT_ENCODER = env("CBIR_DEFAULT_ENCODER", "baseline")
# Set explicitly, it wins over the encoder that training marked default (embeddings.selectors).
DEFAULT_ENCODER_PINNED = bool(env("CBIR_DEFAULT_ENCODER"))
# MRPT is autotuned to this recall for the top ANN_K neighbours.
ANN_TARGET_RECALL = float(env("CBIR_ANN_TARGET_RECALL", "0.9"))
ANN_K = int(env("CBIR_ANN_K", "50"))
# Below this many vectors the autotuner has too few points to sample: exact search.
ANN_MIN_POINTS = int(env("CBIR_ANN_MIN_POINTS", "200"))
# New vectors are served exactly from a delta beside the index; ingestion rebuilds the index only when the
# delta outgrows max(CBIR_INDEX_REBUILD_MIN_DELTA, CBIR_INDEX_REBUILD_DELTA_SHARE x indexed vectors), so a
# steady stream of small batches does not queue one full rebuild each (`build_index` always rebuilds).
INDEX_REBUILD_MIN_DELTA = int(env("CBIR_INDEX_REBUILD_MIN_DELTA", "1000"))
INDEX_REBUILD_DELTA_SHARE = float(env("CBIR_INDEX_REBUILD_DELTA_SHARE", "0.05"))
# Scale-out search: split each index into this many shards served by workers on queue "search".
SEARCH_SHARDS = int(env("CBIR_SEARCH_SHARDS", "0"))
SEARCH_SHARD_TIMEOUT = float(env("CBIR_SEARCH_SHARD_TIMEOUT", "2.0"))
EMBED_BATCH_SIZE = int(env("CBIR_EMBED_BATCH_SIZE", "32"))

# PS3.15 Annex E "Clean Descriptors" option for incoming DICOM (free-text descriptions emptied).
DICOM_CLEAN_DESCRIPTORS = env_bool("CBIR_DICOM_CLEAN_DESCRIPTORS", True)
STOW_DATASET_NAME = env("CBIR_STOW_DATASET", "stow-rs")

HL7_APPLICATION = env("CBIR_HL7_APPLICATION", "CBIR")
HL7_FACILITY = env("CBIR_HL7_FACILITY", "CBIR")
HL7_MAX_MESSAGE_BYTES = int(env("CBIR_HL7_MAX_BYTES", str(1024 * 1024)))
HL7_LISTENER_HOST = env("CBIR_HL7_HOST", "127.0.0.1")
HL7_LISTENER_PORT = int(env("CBIR_HL7_PORT", "2575"))
DICOM_CALLING_AETS = env_list("CBIR_DICOM_CALLING_AETS")
HL7_IDLE_TIMEOUT_SECONDS = float(env("CBIR_HL7_IDLE_TIMEOUT", "600"))  # closes silent or stuck connections
HL7_MAX_CONNECTIONS = int(env("CBIR_HL7_MAX_CONNECTIONS", "64"))

PACS_DICOMWEB_URL = env("PACS_DICOMWEB_URL", "")
PACS_USERNAME = env("PACS_USERNAME", "")
PACS_PASSWORD = env("PACS_PASSWORD", "")
PACS_TIMEOUT_SECONDS = float(env("PACS_TIMEOUT_SECONDS", "10"))
# A series query embeds at most this many slices, spread evenly over a longer series.
PACS_MAX_SERIES_INSTANCES = int(env("PACS_MAX_SERIES_INSTANCES", "200"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "filters": {"mask_uids": {"()": "cbir.log_filters.MaskUids"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["mask_uids"]}},
    "root": {"handlers": ["console"], "level": env("CBIR_LOG_LEVEL", "INFO")},
    # one line per eager task drowns the progress bars of the commands
    "loggers": {"celery.app.trace": {"level": "WARNING"},
                # one line per stored image: the commands show progress bars and the DB keeps the record
                "ingest.services": {"level": env("CBIR_INGEST_LOG_LEVEL", "WARNING")},
                # it logs every retrieval with its study, series and instance UIDs, which can identify a patient
                "dicomweb_client": {"level": "WARNING"},
                # its debug lines carry the WADO-RS URLs of PACS retrievals (masked anyway, see cbir/log_filters)
                "urllib3": {"level": "WARNING"}},
}
