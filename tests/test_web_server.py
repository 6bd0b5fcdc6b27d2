"""The production web server as shipped: `gunicorn dentalai.wsgi` with the repository's
gunicorn.conf.py (gevent workers, a PostgreSQL connection pool per worker, the Gmail push's
shortcut), against the test database. Pushes arriving each on a new connection are all
stored, and the database connections stay within the pools: a persistent connection per
greenlet would leave one open per client connection."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis
from django.db import connection
from django_q.models import OrmQ

from messaging.models import WebhookEvent
from tests.messaging_fixtures import push_body

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "web-server-test-token"
WORKERS = 2
POOL_SIZE = 3
PUSHES = 120


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def post(url: str, body: dict) -> int:
    request = urllib.request.Request(  # noqa: S310 (the test's own server, http://)
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def database_url() -> str:
    conf = connection.settings_dict
    user, host, port = conf["USER"] or "postgres", conf["HOST"] or "127.0.0.1", conf["PORT"]
    return f"postgres://{user}@{host}:{port or 5432}/{conf['NAME']}"


def wait_until_up(url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"gunicorn exited: {process.stderr.read().decode()[-2000:]}")
        try:
            urllib.request.urlopen(url, timeout=2)  # noqa: S310
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("gunicorn did not come up")


def app_connections() -> int:
    """Connections to the test database other than this test's own."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [connection.settings_dict["NAME"]],
        )
        return cursor.fetchone()[0]


@pytest.fixture
def web_server():
    yield from serve()


@pytest.fixture
def web_server_on_redis():
    """The same server, its cache (and so its throttles) on the Redis CI runs."""
    yield from serve(CACHE_URL="redis://127.0.0.1:6379/15")


def serve(**extra: str):
    if connection.vendor != "postgresql":
        pytest.skip(
            "The shipped server pools PostgreSQL connections and needs a database another "
            "process can reach: run with DATABASE_URL=postgres://… (CI does)."
        )
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DATABASE_POOL_SIZE": str(POOL_SIZE),
        "WEB_CONCURRENCY": str(WORKERS),
        "DEBUG": "false",
        "SECRET_KEY": "web-server-test-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": "https://clinic.example.com",
        "SECURE_SSL_REDIRECT": "false",
        "LOG_LEVEL": "WARNING",
        "PUBSUB_VERIFICATION_TOKEN": TOKEN,
        "Q_SYNC": "false",
        **extra,
    }
    gunicorn = Path(sys.executable).parent / "gunicorn"
    process = subprocess.Popen(
        [str(gunicorn), "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT,  # gunicorn reads ./gunicorn.conf.py
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base}/healthz", process)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.mark.django_db(transaction=True)
def test_the_shipped_server_stores_every_push_within_its_connection_pools(web_server):
    url = f"{web_server}/api/v1/webhooks/gmail?token={TOKEN}"

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(lambda n: post(url, push_body(f"srv-{n}")), range(PUSHES)))
        # A redelivery of each of the first ten: acknowledged, not stored again.
        statuses += list(pool.map(lambda n: post(url, push_body(f"srv-{n}")), range(10)))

    assert statuses == [204] * (PUSHES + 10)
    assert WebhookEvent.objects.filter(event_id__startswith="srv-").count() == PUSHES
    assert app_connections() <= WORKERS * POOL_SIZE
    # The drains were queued coalesced: at least one, far fewer than one per push.
    assert 1 <= OrmQ.objects.count() <= 2 * WORKERS * 10
    assert post(f"{web_server}/api/v1/webhooks/gmail?token=wrong", push_body("x")) == 401


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("server", ["web_server", "web_server_on_redis"])
def test_a_burst_of_logins_across_workers_gets_exactly_the_allowance(server, manager, request):
    """30 wrong passwords for one account at once, spread by gunicorn over its workers: the
    counts are shared and taken before the password check, so exactly LOGIN_RATE_PER_EMAIL
    (5) passwords are checked."""
    base = request.getfixturevalue(server)
    if server == "web_server_on_redis":
        redis.Redis(db=15).flushdb()
    body = {"email": manager.email, "password": "a wrong guess"}

    with ThreadPoolExecutor(max_workers=30) as pool:
        statuses = list(pool.map(lambda _: post(f"{base}/api/v1/auth/login", body), range(30)))

    assert sorted(statuses) == [401] * 5 + [429] * 25
