"""Settings shared by every environment. Environment-specific modules import * from here."""

import os
from pathlib import Path

import dj_database_url

from config.env import env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
DATA_DIR = Path(env_str("OPORA_DATA_DIR", str(BASE_DIR / "var")))

# Project apps come first: their Russian catalogues take precedence over Django's own for shared msgids.
INSTALLED_APPS = [
    "opora.core",
    "opora.accounts",
    "opora.registry",
    "opora.assessments",
    "opora.imports",
    "opora.identification",
    "opora.demo",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
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
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # Axes must be last: it answers locked-out logins itself.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"

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
                "opora.core.context_processors.navigation",
            ],
        },
    },
]

# SQLite by default: the embedded database needs nothing set up. PostgreSQL in production via DATABASE_URL.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'opora.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", "Русский")]
TIME_ZONE = env_str("OPORA_TIME_ZONE", "Europe/Moscow")
USE_I18N = True
USE_TZ = True
USE_THOUSAND_SEPARATOR = True
# Each app keeps its own catalogue in opora/<app>/locale; there is no project-level one.
LOCALE_PATHS: list[Path] = []

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("OPORA_STATIC_ROOT", str(DATA_DIR / "static")))
MEDIA_ROOT = Path(env_str("OPORA_MEDIA_ROOT", str(DATA_DIR / "media")))
MEDIA_URL = "media/"
# Uploads (results files, archives) can be large; they are streamed to disk, not held in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
OPORA_MAX_UPLOAD_BYTES = env_int("OPORA_MAX_UPLOAD_BYTES", 200 * 1024 * 1024)
# The workbooks of a large ZIP import are read by this many processes (this one and a pool of workers);
# 1 or 0 reads in this process only. While the pool is not yet started, an archive of fewer workbooks than
# the minimum is read here: a worker that meets a message to translate sets Django up, which costs about
# what reading 300 workbooks does.
# Each worker is an interpreter of its own (about 60 MB once Django is set up): by default at most four
# readers.
OPORA_IMPORT_WORKERS = env_int("OPORA_IMPORT_WORKERS", min(os.cpu_count() or 1, 4))
OPORA_IMPORT_WORKERS_MIN_FILES = env_int("OPORA_IMPORT_WORKERS_MIN_FILES", 500)

# Login throttling: a user name + address pair is locked after this many failures, for this long.
AXES_FAILURE_LIMIT = env_int("OPORA_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("OPORA_LOGIN_COOLOFF_MINUTES", 15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_RESET_ON_SUCCESS = True

SESSION_COOKIE_AGE = 60 * 60 * 10
PAGINATE_BY = 50
ALLOWED_HOSTS = env_list("OPORA_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("OPORA_LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}
