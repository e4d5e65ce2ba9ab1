"""Settings shared by every environment.

Every value that differs between a laptop and production is read from the environment; the defaults are
the embedded ones (SQLite, database search, console email, local media) so that ``make run`` needs no
other setup. See README.md for the list of variables.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("TECHEX_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    # The platform
    "exchange.accounts",
    "exchange.core",
    "exchange.portal",
    "exchange.deals",
    "exchange.support",
    "exchange.payments",
    "listings",
    "valuation",
    "regional_network",
    "cms",
    # Wagtail
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.contrib.sitemaps",
    "wagtail.contrib.routable_page",
    "wagtail.contrib.simple_translation",
    "wagtail.locales",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    # Accounts
    "allauth",
    "allauth.account",
    "axes",
    # API
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    # Background work
    "huey.contrib.djhuey",
    # Django
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "exchange.core.security.ContentSecurityPolicyMiddleware",
    "exchange.core.security.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "exchange.core.middleware.RequestContextMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a sign-in refused by the lockout into its 429 page
]

ROOT_URLCONF = "exchange.urls"
WSGI_APPLICATION = "exchange.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "cms" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "exchange.core.context_processors.notifications",
                "cms.context_processors.site",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------
# SQLite by default, tuned so that the web process and the worker can write side by side:
# WAL journal, IMMEDIATE transactions (no lock upgrade deadlocks) and a busy timeout.
SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": (
        "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;PRAGMA foreign_keys=ON;PRAGMA busy_timeout=20000;"
        # Search (docs/search.md): a 64 MiB page cache per connection (the default 2 MiB re-read the
        # FTS and facet pages from the OS on every broad query) and sorts/temp tables in memory.
        "PRAGMA cache_size=-65536;PRAGMA temp_store=MEMORY;"
    ),
}
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(VAR_DIR / "db.sqlite3")),
            "OPTIONS": SQLITE_OPTIONS,
            # Persistent connections under gunicorn (make bench-pages sets 60); 0 keeps runserver's
            # thread-per-request from holding one connection per finished thread.
            "CONN_MAX_AGE": int(os.environ.get("DJANGO_CONN_MAX_AGE", 0)),
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts -------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses every sign-in of a locked identifier + address before a password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
    "exchange.accounts.backends.RolePermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_SIGNUP_FORM_CLASS = "exchange.accounts.forms.SignupForm"
ACCOUNT_ADAPTER = "exchange.accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
# Failed logins per IP and per account; new accounts per IP (allauth answers 429 past the limit).
ACCOUNT_RATE_LIMITS = {"login_failed": "5/5m/ip,5/5m/key", "signup": "10/h/ip"}
# Lockout after repeated failed sign-ins (django-axes, exchange/accounts/lockout.py): after
# LOGIN_LOCKOUT_FAILURES wrong passwords for one email from one IP, every sign-in of that email from that IP
# (form, admin, API token) is refused with 429 for LOGIN_LOCKOUT_MINUTES, counted again from each attempt
# made meanwhile. Only that combination is locked, so nobody can lock a person out from elsewhere; the
# allauth rate limit above still slows guessing across addresses. A successful sign-in clears the count;
# a password reset, staff (Django admin → Axes → Access attempts, delete) or
# `manage.py axes_reset_username <email>` lift a lock. Failures and lockouts also go to the audit log.
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_LOCKOUT_FAILURES", 5))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("LOGIN_LOCKOUT_MINUTES", 30)))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_CALLABLE = "exchange.accounts.lockout.login_identifier"
# The client IP of the audit log, the lockout, allauth's and DRF's rate limits: REMOTE_ADDR, or with
# TRUSTED_PROXY_COUNT reverse proxies of ours in front, the address the outermost one appended to
# X-Forwarded-For (exchange.core.middleware.client_ip_from_request). 0 (the default) ignores the header,
# which anyone can forge; compose.yaml's Caddy sets 1. ALLAUTH_/NUM_PROXIES below read the same number.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", 0))
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
AXES_CLIENT_IP_CALLABLE = "exchange.core.middleware.client_ip_from_request"  # the audit log's notion of IP
AXES_CLIENT_STR_CALLABLE = "exchange.accounts.lockout.client_description"  # no email or IP in log files
AXES_LOCKOUT_CALLABLE = "exchange.accounts.lockout.lockout_response"
AXES_SENSITIVE_PARAMETERS = ["username", "login", "email", "ip_address", "csrfmiddlewaretoken"]
AXES_VERBOSE = False
AXES_DISABLE_ACCESS_LOG = True  # successful sign-ins are in our audit log already (account.login)
# The privacy notice a user consents to at registration; bump it when the text changes.
PRIVACY_NOTICE_VERSION = os.environ.get("PRIVACY_NOTICE_VERSION", "2026-11")
PRIVACY_CONTACT_EMAIL = os.environ.get("PRIVACY_CONTACT_EMAIL", "privacy@techex.local")

# --- Languages: Vietnamese first, English second --------------------------------------------------
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Tiếng Việt")), ("en", _("English"))]
WAGTAIL_I18N_ENABLED = False
WAGTAIL_I18N_ENABLED = True  # page translations (wagtail.locales, simple_translation for editors)
WAGTAIL_CONTENT_LANGUAGES = LANGUAGES
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

# --- Files ----------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
STATICFILES_DIRS = [BASE_DIR / "cms" / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# Confidential files live outside MEDIA_ROOT and are only ever served by a permission-checked view.
PRIVATE_MEDIA_ROOT = Path(os.environ.get("PRIVATE_MEDIA_ROOT", VAR_DIR / "private"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(PRIVATE_MEDIA_ROOT), "base_url": None},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
LISTING_ATTACHMENT_MAX_BYTES = int(os.environ.get("LISTING_ATTACHMENT_MAX_BYTES", 20 * 1024 * 1024))

# --- Email ----------------------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get(
    "DEFAULT_FROM_EMAIL", "Sàn giao dịch công nghệ TP.HCM <no-reply@techex.local>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# A hung mail server must not hold a worker past NOTIFICATION_EMAIL_LEASE (a claimed email whose worker
# seems dead is sent again after it): the send gives up well before.
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", 60))
NOTIFICATION_EMAIL_LEASE = int(os.environ.get("NOTIFICATION_EMAIL_LEASE", 900))

# --- Background work (huey) -----------------------------------------------------------------------
# One worker with retries and periodic tasks; SQLite storage needs no broker for ``make run``.
# At scale set HUEY_REDIS_URL and the same tasks run on Redis with several workers.
HUEY_IMMEDIATE = env_bool("HUEY_IMMEDIATE", False)
if os.environ.get("HUEY_REDIS_URL"):
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": "techex",
        "url": os.environ["HUEY_REDIS_URL"],
        "immediate": HUEY_IMMEDIATE,
        "consumer": {"workers": int(os.environ.get("HUEY_WORKERS", 2)), "worker_type": "thread"},
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "techex",
        "filename": os.environ.get("HUEY_SQLITE_PATH", str(VAR_DIR / "huey.sqlite3")),
        "immediate": HUEY_IMMEDIATE,
        "consumer": {"workers": 1, "worker_type": "thread", "periodic": True},
    }
    # SqliteHuey opens its file when Django loads huey's app, so every manage.py command (``check`` on a
    # fresh clone included) would fail on a missing var/: make the folder instead of requiring `make run`.
    Path(HUEY["filename"]).parent.mkdir(parents=True, exist_ok=True)

# --- API ------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "exchange.accounts.api_auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # The partner API speaks JSON (the schema documents only it): a form or multipart body would flatten
    # nested values (a term sheet's milestones were dropped without a word) - 415 instead. The views that
    # take a file upload, and the token endpoint (a form post from a shell), name their parsers.
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_VERSIONING_CLASS": None,
    "DEFAULT_THROTTLE_RATES": {"valuation": os.environ.get("VALUATION_CALCULATE_RATE", "60/min")},
    # Throttles key anonymous callers by IP; DRF's default (None) keys them by the whole X-Forwarded-For
    # string, which a caller changes at will. Same rule as client_ip_from_request.
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "HCMC Technology Exchange API / API Sàn giao dịch công nghệ TP.HCM",
    "DESCRIPTION": "Technology offers and requests as interchange records (techex.technology/1).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # drf-spectacular's `check --deploy` hook builds a schema of the whole ROOT_URLCONF, Wagtail's admin
    # API included (not ours, and full of its warnings). Our API's schema (`exchange.api_urls`) is
    # checked with `spectacular --fail-on-warn` by tests/test_api_strict_input.py instead.
    "ENABLE_DJANGO_DEPLOY_CHECK": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI and ReDoc are served from our own static files: the docs work offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Choice sets that share a field name across components ("kind", "state", "method") or that appear
    # under two field names: one stable component each (else drf-spectacular hashes names like
    # "KindA70Enum" that change when the choices do).
    "ENUM_NAME_OVERRIDES": {
        "DealSideEnum": "exchange.deals.models.Side",
        "ListingKindEnum": "listings.models.ListingKind",
        "ListingStateEnum": "listings.lifecycle.ListingState",
        "TransactionTypeEnum": "listings.models.TransactionType",
        "ServiceKindEnum": "exchange.support.models.ServiceKind",
        "ValuationMethodEnum": "valuation.engine.ALL_METHODS",
    },
    # The default enum hook, then what every paginated list does (404 for a page out of range, empty
    # filters ignored).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "exchange.api.document_list_conventions",
        "exchange.api_links.document_links",
    ],
}

# --- Search ---------------------------------------------------------------------------------------
# "database" (SQLite FTS5 / PostgreSQL) is the embedded default and the fallback; "elasticsearch" in
# production. Never set ELASTICSEARCH_NODE_CLASS here: it exists for the osmem test server only.
SEARCH_BACKEND = os.environ.get("SEARCH_BACKEND", "database")
SEARCH_FALLBACK = env_bool("SEARCH_FALLBACK", True)
ELASTICSEARCH_URL = os.environ.get("ELASTICSEARCH_URL", "http://localhost:9200")
ELASTICSEARCH_INDEX = os.environ.get("ELASTICSEARCH_INDEX", "listings")
ELASTICSEARCH_TIMEOUT = float(os.environ.get("ELASTICSEARCH_TIMEOUT", "5"))
ELASTICSEARCH_MAX_RETRIES = int(os.environ.get("ELASTICSEARCH_MAX_RETRIES", "2"))
ELASTICSEARCH_REPLICAS = int(os.environ.get("ELASTICSEARCH_REPLICAS", "1"))

# --- Wagtail --------------------------------------------------------------------------------------
WAGTAIL_SITE_NAME = "Sàn giao dịch công nghệ TP.HCM"
WAGTAILADMIN_BASE_URL = os.environ.get("WAGTAILADMIN_BASE_URL", "http://127.0.0.1:8000")
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "key", "odt", "pdf", "pptx", "rtf", "txt", "xlsx", "zip"]
SITE_URL = os.environ.get("SITE_URL", WAGTAILADMIN_BASE_URL)

# --- Listings -------------------------------------------------------------------------------------
# The exchange's identity in the regional network: every listing is (origin, ref).
EXCHANGE_ORIGIN = os.environ.get("EXCHANGE_ORIGIN", "hcmc")
LISTING_VALIDITY_DAYS = int(os.environ.get("LISTING_VALIDITY_DAYS", 365))
LISTING_EXPIRY_REMINDER_DAYS = [int(d) for d in env_list("LISTING_EXPIRY_REMINDER_DAYS", "30,7")]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Every record passes the redaction filter (emails, tokens, passwords, Authorization headers).
    "filters": {"redact": {"()": "exchange.core.security.RedactingFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Wagtail's reference-index tasks run inline and would log two lines per saved object.
        "django_tasks": {"level": "WARNING"},
        # django-axes logs every sign-in at INFO; failures and lockouts are in the audit log already.
        "axes": {"level": "WARNING"},
    },
}

# --- Security headers (exchange/core/security.py) --------------------------------------------------
# Our pages run only our own static JavaScript and CSS: no inline scripts, styles or event handlers
# (JSON-LD data blocks are not scripts). A view adds what it needs with django-csp's csp_update (the card
# page adds Stripe.js, the valuation report its inline CSS by hash).
# The video block (cms/blocks.py VideoBlock) embeds the providers' players in a frame: only these may be
# framed on our pages (CSP_FRAME_SOURCES, comma-separated, replaces the list).
CSP_FRAME_SOURCES = env_list("CSP_FRAME_SOURCES") or [
    "https://www.youtube.com",
    "https://www.youtube-nocookie.com",
    "https://player.vimeo.com",
]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-src": CSP_FRAME_SOURCES,
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# Wagtail's and Django's admins (and the browsable API / Swagger UI) still use inline scripts and styles,
# and Wagtail's live preview frames the site: the laxer directives apply under these prefixes only.
_ADMIN_CSP = {
    "script-src": ["'self'", "'unsafe-inline'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:", "blob:"],
    "frame-src": ["'self'", *CSP_FRAME_SOURCES],  # the live preview, with its videos
    "frame-ancestors": ["'self'"],
}
CONTENT_SECURITY_POLICY_SCOPES = {
    "/admin/": _ADMIN_CSP,
    "/django-admin/": _ADMIN_CSP,
    "/api/": {"script-src": ["'self'", "'unsafe-inline'"], "style-src": ["'self'", "'unsafe-inline'"]},
}
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"  # Wagtail's preview views relax it to SAMEORIGIN themselves
PERMISSIONS_POLICY = {
    "accelerometer": [],
    "camera": [],
    "geolocation": [],
    "gyroscope": [],
    "magnetometer": [],
    "microphone": [],
    "payment": ["self", "https://js.stripe.com"],
    "usb": [],
}
# Wagtail admin: no Gravatar requests (they would send a hash of each editor's email abroad) and no
# update check against an outside server.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAIL_ENABLE_UPDATE_CHECK = False

# Contracts signed with a digital certificate (exchange/deals/certsign.py): trusted roots as PEM/DER paths
# or PEM strings (e.g. the NEAC root bundle); until set, certificate uploads are refused as "not configured".
DEALS_SIGNATURE_TRUST_ROOTS = env_list("DEALS_SIGNATURE_TRUST_ROOTS")
DEALS_SIGNATURE_ALLOW_FETCHING = env_bool("DEALS_SIGNATURE_ALLOW_FETCHING", False)  # OCSP/CRL, soft-fail

# Regional network (regional_network/, docs/federation.md): our Ed25519 key comes from
# FEDERATION_PRIVATE_KEY (base64 of the raw 32 bytes), else it is generated into var/ for local use.
FEDERATION_MAX_CONCURRENT = int(os.environ.get("FEDERATION_MAX_CONCURRENT", 8))
FEDERATION_RATE_PER_MINUTE = int(os.environ.get("FEDERATION_RATE_PER_MINUTE", 600))

# Nightly backups (exchange/core/backup.py, docs/deploy.md): the worker writes the database (SQLite online
# backup or pg_dump) and both media trees into BACKUP_DIR/<timestamp>/ at 02:30 and keeps BACKUP_KEEP.
BACKUP_ENABLED = env_bool("BACKUP_ENABLED", True)
BACKUP_DIR = Path(os.environ.get("BACKUP_DIR", VAR_DIR / "backups"))
BACKUP_KEEP = int(os.environ.get("BACKUP_KEEP", 7))
PG_BINDIR = os.environ.get("PG_BINDIR", "")  # where pg_dump/pg_restore live, if not the server's or PATH's

# Shared cache (rate limits, health state): Redis when CACHE_REDIS_URL is set (production, several web
# processes), else local memory per process (development and tests).
if os.environ.get("CACHE_REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["CACHE_REDIS_URL"],
        }
    }
else:
    # Room for the database search backend's cached answers (two entries per query; Django's default
    # of 300 entries would evict them before they repeat).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": 5000},
        }
    }
# Search: the database backend's answers are cached per query until the index changes, at most this long.
SEARCH_CACHE_SECONDS = int(os.environ.get("SEARCH_CACHE_SECONDS", 300))
# Rate limits of repeatable actions (exchange/core/ratelimit.py): "count/seconds" per person.
RATE_LIMITS = {
    "deal_inquiry": os.environ.get("RATE_LIMIT_DEAL_INQUIRY", "10/3600"),
    "deal_message": os.environ.get("RATE_LIMIT_DEAL_MESSAGE", "30/600"),
}
# Load test only (`make load`, docs/benchmarks.md): 50 simulated people writing from one address would hit
# every per-person and per-IP limit at once. BENCHMARK_NO_RATE_LIMITS=1 lifts them (count 0 = no limit);
# never on by default, and production settings refuse to start with it.
BENCHMARK_NO_RATE_LIMITS = env_bool("BENCHMARK_NO_RATE_LIMITS", False)
if BENCHMARK_NO_RATE_LIMITS:
    RATE_LIMITS = {action: "0/60" for action in RATE_LIMITS}
    ACCOUNT_RATE_LIMITS = False
