"""Database selection from DATABASE_URL, and the few helpers that differ per backend.

- unset / empty: SQLite file under var/ (development, `make run`);
- postgres://, postgresql://, pgsql://: PostgreSQL;
- mongodb://, mongodb+srv://: MongoDB through django-mongodb-backend (the database name comes
  from the URL's path).
"""

from contextlib import AbstractContextManager
from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

MONGODB_SCHEMES = ("mongodb", "mongodb+srv")
SQL_SCHEMES = ("postgres", "postgresql", "pgsql", "sqlite")
CONNECT_TIMEOUT_SECONDS = 2


def database_from_url(url: str, *, sqlite_dir: Path, pool_size: int = 0) -> dict:
    """Return Django's DATABASES["default"] for the given URL, or raise naming DATABASE_URL.

    PostgreSQL connections are persistent (kept 60 s, checked when reused), one per thread;
    or, with `pool_size` (DATABASE_POOL_SIZE, set by gunicorn.conf.py for the gevent web
    workers), taken from a psycopg pool of at most that many per process and given back at
    the end of each request: a greenlet's persistent connection would never be closed."""
    url = url.strip()
    if not url:
        return _sqlite(sqlite_dir / "dentalai.sqlite3")

    scheme = urlsplit(url).scheme
    if scheme in MONGODB_SCHEMES:
        return _mongodb(url)
    if scheme not in SQL_SCHEMES:
        raise ImproperlyConfigured(
            f"DATABASE_URL: unsupported scheme {scheme!r}; use postgres://, mongodb://, "
            "mongodb+srv:// or sqlite:///path (or leave it unset for SQLite under var/)"
        )
    try:
        config = environ.Env.db_url_config(url)
    except Exception as exc:  # django-environ raises several types for a malformed URL
        raise ImproperlyConfigured(f"DATABASE_URL: cannot parse it ({exc})") from exc
    if scheme == "sqlite":
        return _sqlite(Path(config["NAME"]))
    if not config.get("NAME"):
        raise ImproperlyConfigured("DATABASE_URL: the PostgreSQL URL names no database")
    # A database that does not answer is a 503 within seconds, not a request hung for minutes.
    config.setdefault("OPTIONS", {}).setdefault("connect_timeout", CONNECT_TIMEOUT_SECONDS)
    if pool_size:
        config["CONN_MAX_AGE"] = 0  # Django requires it with a pool
        config.setdefault("OPTIONS", {})["pool"] = {
            "min_size": 0,
            "max_size": pool_size,
            "timeout": 10,  # seconds a request waits for a free connection
            "max_idle": 60,
        }
        return config
    config.setdefault("CONN_MAX_AGE", 60)
    config.setdefault("CONN_HEALTH_CHECKS", True)
    return config


def is_mongodb(database: dict) -> bool:
    return database["ENGINE"] == "django_mongodb_backend"


def _sqlite(path: Path) -> dict:
    path.parent.mkdir(parents=True, exist_ok=True)
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": path,
        "OPTIONS": {
            # The web app and the worker write at the same time: WAL lets readers go on, and
            # IMMEDIATE transactions wait for the write lock instead of failing mid-way.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        },
    }


def _mongodb(url: str) -> dict:
    from pymongo.errors import InvalidURI
    from pymongo.uri_parser import parse_uri

    # An SRV URL would be resolved through DNS by pymongo: check only its form here.
    if not url.startswith("mongodb+srv://"):
        try:
            parse_uri(url)
        except (InvalidURI, ValueError) as exc:
            raise ImproperlyConfigured(f"DATABASE_URL: not a valid MongoDB URL ({exc})") from exc
    database = urlsplit(url).path.lstrip("/")
    if not database:
        raise ImproperlyConfigured(
            "DATABASE_URL: the MongoDB URL must name the database, e.g. mongodb://host/dentalai"
        )
    # The connection string goes whole into HOST, as django-mongodb-backend expects; its own
    # timeouts, when it has them, win over these.
    timeouts = {
        name: CONNECT_TIMEOUT_SECONDS * 1000
        for name in ("serverSelectionTimeoutMS", "connectTimeoutMS")
        if name.lower() not in url.lower()
    }
    return {"ENGINE": "django_mongodb_backend", "HOST": url, "NAME": database, "OPTIONS": timeouts}


def atomic(using: str | None = None) -> AbstractContextManager:
    """A transaction where the backend has one.

    On MongoDB Django's `transaction.atomic` does nothing; django-mongodb-backend's own needs a
    replica set (or Atlas). Correctness never depends on it: uniqueness and idempotency come
    from unique constraints and conditional updates. It only keeps multi-row writes together.
    """
    from django.db import connections, transaction

    connection = connections[using or "default"]
    if connection.vendor == "mongodb":
        from django_mongodb_backend import transaction as mongo_transaction

        return mongo_transaction.atomic(using=using)
    return transaction.atomic(using=using)
