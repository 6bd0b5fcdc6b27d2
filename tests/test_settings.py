import inspect
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from dentalai import env as env_helpers
from dentalai.database import database_from_url

ROOT = Path(__file__).resolve().parent.parent


def test_no_url_means_sqlite_under_var(tmp_path):
    db = database_from_url("", sqlite_dir=tmp_path / "var")
    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert db["NAME"] == tmp_path / "var" / "dentalai.sqlite3"
    assert (tmp_path / "var").is_dir()


def test_a_sqlite_url_names_its_file(tmp_path):
    db = database_from_url(f"sqlite:///{tmp_path}/other.db", sqlite_dir=tmp_path)
    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert str(db["NAME"]) == f"{tmp_path}/other.db"


@pytest.mark.parametrize("scheme", ["postgres", "postgresql", "pgsql"])
def test_a_postgres_url_selects_postgresql(scheme, tmp_path):
    db = database_from_url(
        f"{scheme}://clinic:s3cret@db.internal:6432/dentalai", sqlite_dir=tmp_path
    )
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["NAME"], db["USER"], db["PASSWORD"], db["HOST"], db["PORT"]) == (
        "dentalai",
        "clinic",
        "s3cret",
        "db.internal",
        6432,
    )


def test_postgresql_connections_persist_unless_pooled(tmp_path):
    url = "postgres://clinic@db.internal/dentalai"

    persistent = database_from_url(url, sqlite_dir=tmp_path)
    pooled = database_from_url(url, sqlite_dir=tmp_path, pool_size=20)

    assert (persistent["CONN_MAX_AGE"], persistent["CONN_HEALTH_CHECKS"]) == (60, True)
    assert "pool" not in persistent.get("OPTIONS", {})
    assert pooled["CONN_MAX_AGE"] == 0  # each request gives its connection back
    assert pooled["OPTIONS"]["pool"]["max_size"] == 20


@pytest.mark.parametrize(
    "url",
    [
        "mongodb://127.0.0.1:27017/dentalai",
        "mongodb://user:pw@a.internal:27017,b.internal:27017/dentalai?replicaSet=rs0",
        "mongodb+srv://user:pw@cluster0.example.mongodb.net/dentalai?retryWrites=true",
    ],
)
def test_a_mongodb_url_selects_django_mongodb_backend(url, tmp_path):
    db = database_from_url(url, sqlite_dir=tmp_path)
    assert db == {
        "ENGINE": "django_mongodb_backend",
        "HOST": url,
        "NAME": "dentalai",
        "OPTIONS": {"serverSelectionTimeoutMS": 2000, "connectTimeoutMS": 2000},
    }


def test_a_database_that_does_not_answer_is_given_up_on_within_seconds(tmp_path):
    postgres = database_from_url("postgres://postgres@db.internal/dentalai", sqlite_dir=tmp_path)
    mongodb = database_from_url(
        "mongodb://db.internal/dentalai?serverSelectionTimeoutMS=9000", sqlite_dir=tmp_path
    )

    assert postgres["OPTIONS"]["connect_timeout"] == 2
    assert mongodb["OPTIONS"] == {"connectTimeoutMS": 2000}  # the URL's own choice stands


@pytest.mark.parametrize(
    "url,message",
    [
        ("mysql://root@localhost/dentalai", "unsupported scheme 'mysql'"),
        ("mongodb://127.0.0.1:27017", "must name the database"),
        ("mongodb://:::bad/dentalai", "not a valid MongoDB URL"),
        ("postgres://localhost", "names no database"),
        ("not a url at all", "unsupported scheme"),
    ],
)
def test_a_malformed_url_is_refused_naming_the_variable(url, message, tmp_path):
    with pytest.raises(ImproperlyConfigured) as raised:
        database_from_url(url, sqlite_dir=tmp_path)
    assert str(raised.value).startswith("DATABASE_URL:")
    assert message in str(raised.value)


def manage_check(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return subprocess.run(
        [sys.executable, "manage.py", "check", *args],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "dentalai.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    "env,message",
    [
        ({"DEBUG": "maybe"}, "DEBUG: 'maybe'"),
        ({"DEBUG": "false"}, "SECRET_KEY must be set"),
        ({"CLINIC_TIME_ZONE": "Mars/Olympus"}, "CLINIC_TIME_ZONE: 'Mars/Olympus'"),
        ({"DATABASE_URL": "redis://localhost/0"}, "DATABASE_URL: unsupported scheme"),
        ({"Q_WORKERS": "many"}, "Q_WORKERS:"),
        ({"PHONE_REGION": "XX"}, "PHONE_REGION: 'XX'"),
        ({"RECOVERY_COOLDOWN_DAYS": "-1"}, "RECOVERY_COOLDOWN_DAYS"),
        ({"Q_BROKER": "rabbit"}, "Q_BROKER: 'rabbit'"),
        ({"Q_BROKER": "mongodb"}, "Q_MONGODB_URL"),
        ({"DATABASE_POOL_SIZE": "-2"}, "DATABASE_POOL_SIZE"),
        ({"WEBHOOK_DRAIN_COALESCE_SECONDS": "600"}, "WEBHOOK_DRAIN_COALESCE_SECONDS"),
        (
            {
                "DEBUG": "false",
                "SECRET_KEY": "k" * 50,
                "ALLOWED_HOSTS": "clinic.example.com",
                "SITE_URL": "http://clinic.example.com",
            },
            "SITE_URL must be an https:// URL",
        ),
    ],
)
def test_a_bad_value_stops_start_up_naming_the_variable(env, message):
    result = manage_check(**env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "k" * 20 + "-production-secret-that-is-long-and-random-0123456789",
    "ALLOWED_HOSTS": "clinic.example.com",
    "SITE_URL": "https://clinic.example.com",
}


def test_the_deploy_check_is_clean_with_production_values():
    result = manage_check("--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_the_mongodb_settings_pass_the_system_check_without_a_server():
    result = manage_check(DATABASE_URL="mongodb://127.0.0.1:1/dentalai")
    assert result.returncode == 0, result.stderr


def test_the_env_example_lists_every_variable_the_settings_read():
    source = (ROOT / "dentalai" / "settings.py").read_text()
    helpers = "|".join(name for name, _ in inspect.getmembers(env_helpers, inspect.isfunction))
    calls = rf'\b(?:{helpers}|env\.\w+)\(\s*"([A-Z][A-Z0-9_]+)"'
    read = set(re.findall(calls, source))
    listed = set(re.findall(r"^([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))
    assert read, "the pattern no longer finds the settings' variables"
    assert read <= listed, f"missing from .env.example: {sorted(read - listed)}"


def test_the_broker_can_be_redis_or_mongodb():
    assert manage_check(Q_BROKER="redis", Q_REDIS_URL="redis://127.0.0.1:6379/5").returncode == 0
    result = manage_check(Q_BROKER="mongodb", Q_MONGODB_URL="mongodb://127.0.0.1/jobs")
    assert result.returncode == 0, result.stderr
