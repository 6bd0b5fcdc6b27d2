"""A clinic in a database of its own, run by real processes: `manage.py migrate`, the product's
code in `manage.py shell`, and the django-q2 cluster (`manage.py qcluster`) as a child process
that a test can kill by PID. The fault tests read the outcome with plain SQL, as an operator
would, from the test process. SQLite (a file) by default, PostgreSQL when the suite runs on it."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg
from django.conf import settings
from django.db import connection

ROOT = Path(settings.BASE_DIR)

# The patients of the world, each with an open recovery campaign on SMS.
SETUP = """
from campaigns.models import Campaign
from patients.models import Patient
for number in {numbers!r}:
    patient = Patient.objects.create(
        name=f"Patient {{number[-2:]}}", phone=number, preferred_channels=["sms"]
    )
    Campaign.objects.create(
        patient=patient, campaign_type="RECOVERY", status="ATTEMPTING_RECOVERY",
        channel_type="sms", thread_id=number, attempts_made=1,
    )
"""

# Replies through the webhook's own door (it stores each and queues one drain).
REPLIES = """
from messaging.ingest import webhook_event_receive
for number, message_id, text in {replies!r}:
    webhook_event_receive(source="incoming_message", event_id=message_id, payload={{
        "channel": "sms", "thread_id": number, "message_id": message_id, "message_content": text,
    }})
"""

# What the scheduled drain does every minute.
DRAIN = """
from django_q.tasks import async_task
async_task("messaging.tasks.drain_webhook_events")
"""


class World:
    def __init__(self, tmp_path: Path, environment: dict[str, str]):
        self.tmp_path = tmp_path
        self.postgres = connection.vendor == "postgresql"
        if self.postgres:
            conf = connection.settings_dict
            self.name = f"dentalai_faults_{uuid.uuid4().hex[:8]}"
            self.server = {
                "host": conf["HOST"] or "127.0.0.1",
                "port": conf["PORT"] or 5432,
                "user": conf["USER"] or "postgres",
            }
            with self._admin() as admin:
                admin.execute(f'CREATE DATABASE "{self.name}"')
            url = "postgres://{user}@{host}:{port}/".format(**self.server) + self.name
        else:
            url = f"sqlite:///{tmp_path / 'world.sqlite3'}"
        self.environment = {
            **os.environ,
            "DATABASE_URL": url,
            "DJANGO_SETTINGS_MODULE": "dentalai.settings",
            "Q_BROKER": "orm",
            "Q_WORKERS": "1",
            "DEBUG": "true",
            "SECRET_KEY": "faults-world-secret-key-that-is-long-enough-0123456789",
            **environment,
        }
        self.clusters: list[subprocess.Popen] = []
        self.manage("migrate", "--noinput")

    def _admin(self):
        return psycopg.connect(dbname="postgres", autocommit=True, **self.server)

    def manage(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.environment,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode:
            raise AssertionError(f"manage.py {args[0]} failed:\n{done.stderr[-3000:]}")
        return done.stdout

    def run(self, code: str) -> str:
        return self.manage("shell", "-c", code)

    def cluster_start(self) -> subprocess.Popen:
        log = open(self.tmp_path / f"cluster-{len(self.clusters)}.log", "w")  # noqa: SIM115
        process = subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"],
            cwd=ROOT,
            env=self.environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: the workers die with it
        )
        self.clusters.append(process)
        return process

    def cluster_kill(self, process: subprocess.Popen) -> None:
        """SIGKILL, as the kernel's OOM killer or a pulled plug would: no clean-up runs."""
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def rows(self, sql: str) -> list[tuple]:
        if self.postgres:
            with psycopg.connect(dbname=self.name, autocommit=True, **self.server) as db:
                return db.execute(sql).fetchall()
        with sqlite3.connect(self.tmp_path / "world.sqlite3", timeout=30) as db:
            return db.execute(sql).fetchall()

    def wait_for(self, sql: str, expected, *, timeout: float) -> list[tuple]:
        """Poll `sql` until it returns `expected`, or give up after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.rows(sql)
            if found == expected or time.monotonic() > deadline:
                return found
            time.sleep(0.5)

    def close(self) -> None:
        for process in self.clusters:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        if self.postgres:
            with self._admin() as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def cluster_log(self) -> str:
        return "\n".join(
            path.read_text()[-3000:] for path in sorted(self.tmp_path.glob("cluster-*.log"))
        )
