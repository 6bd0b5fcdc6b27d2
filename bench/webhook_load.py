"""Load benchmark of the Gmail push webhook (SPEC §9), side by side with a FastAPI baseline.

    POST /api/v1/webhooks/gmail?token=…   gunicorn as shipped (gunicorn.conf.py: gevent
    workers, a PostgreSQL connection pool each), 2 workers, 127.0.0.1, PostgreSQL
    wrk -t2 -c32 -d20s, a unique Pub/Sub messageId per request (a wrk Lua script)
    targets: >= 1,000 req/s; >= 0.8x the FastAPI baseline's req/s; p99 <= 1.25x its p99;
    every 204 stored exactly once.

Needs:
- wrk, from Debian: `apt-get install wrk` (the script checks for it);
- PostgreSQL on 127.0.0.1:5432 (database `webhook_bench`, created and migrated here; it is
  emptied before each run — never point this at a real database);
- the baseline's own virtualenv (bench/requirements.txt: FastAPI, uvicorn, psycopg-pool):
  `python3.11 -m venv var/bench-venv && var/bench-venv/bin/pip install -r bench/requirements.txt`.

Usage:

    .venv/bin/python bench/webhook_load.py                  # both servers, 20 s each
    .venv/bin/python bench/webhook_load.py --rounds 3       # alternate them 3 times
    .venv/bin/python bench/webhook_load.py --skip-baseline  # the product only

Everything listens on 127.0.0.1 only and every process is stopped at the end; each wrk run is
bounded by --duration (plus a 2-second warm-up whose rows are discarded).
"""

import argparse
import base64
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
BENCH_VENV_BIN = ROOT / "var" / "bench-venv" / "bin"
TOKEN = "bench-push-secret-0123456789"
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/webhook_bench"
NOTICE = base64.b64encode(
    json.dumps({"emailAddress": "frontdesk@clinic.example", "historyId": 1234567}).encode()
).decode()

# A unique Pub/Sub messageId per request: "<run>-<wrk thread>-<counter>".
WRK_SCRIPT = """
local thread_count = 0
function setup(thread)
  thread_count = thread_count + 1
  thread:set("tid", thread_count)
end
function init(args)
  prefix = args[1] .. "-" .. tid .. "-"
  counter = 0
end
function request()
  counter = counter + 1
  local body = '{"message":{"data":"@DATA@","messageId":"' .. prefix .. counter ..
    '","publishTime":"2025-03-11T14:00:00.000Z"},' ..
    '"subscription":"projects/bench/subscriptions/gmail-push"}'
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
end
function done(summary, latency, requests)
  io.write(string.format(
    "RESULT {\\"requests\\": %d, \\"duration_us\\": %d, \\"non_2xx\\": %d, " ..
    "\\"connect\\": %d, \\"read\\": %d, \\"write\\": %d, \\"timeout\\": %d, " ..
    "\\"p50_us\\": %d, \\"p99_us\\": %d, \\"max_us\\": %d}\\n",
    summary.requests, summary.duration, summary.errors.status, summary.errors.connect,
    summary.errors.read, summary.errors.write, summary.errors.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
""".replace("@DATA@", NOTICE)


@dataclass
class Result:
    server: str
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    ok: int  # 204s
    errors: int
    stored: int
    distinct: int
    queued: int | None = None  # drain jobs queued (the product)

    def stored_once(self, connections: int) -> bool:
        """Every 204 stored, none twice. Requests still in flight when wrk stops may be stored
        without their 204 being counted: at most one per connection."""
        return self.stored == self.distinct and self.ok <= self.stored <= self.ok + connections


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, data=b"{}", timeout=2)
        except urllib.error.HTTPError:
            return  # it answers (401/400): up
        except OSError:
            time.sleep(0.2)
            continue
        return
    raise SystemExit(f"server at {url} did not come up")


@contextmanager
def running(command: list[str], env: dict, url: str):
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        wait_until_up(url)
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wrk(url: str, args, run_id: str, duration: str) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT)
    try:
        command = [
            "wrk",
            f"-t{args.threads}",
            f"-c{args.connections}",
            f"-d{duration}",
            "--timeout",
            "10s",
            "-s",
            script.name,
            url,
            "--",
            run_id,
        ]
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(script.name)
    match = re.search(r"^RESULT (\{.*\})$", output, re.M)
    if not match:
        raise SystemExit(f"unexpected wrk output:\n{output}")
    return json.loads(match[1])


def measure(name: str, url: str, args, count_sql: str, dsn: str, run_id: str) -> Result:
    wrk(url, args, f"warmup-{run_id}", "2s")
    time.sleep(1)
    with psycopg.connect(dsn, autocommit=True) as connection:
        for table in ("messaging_webhookevent", "django_q_ormq", "baseline_webhook_event"):
            connection.execute(f"DELETE FROM {table}")
    data = wrk(url, args, run_id, f"{args.duration}s")
    time.sleep(1)  # let the last in-flight requests finish before counting
    with psycopg.connect(dsn, autocommit=True) as connection:
        stored, distinct = connection.execute(count_sql, (f"{run_id}-%",)).fetchone()
        queued = None
        if name == "django":
            queued = connection.execute("SELECT count(*) FROM django_q_ormq").fetchone()[0]
    errors = data["non_2xx"] + data["connect"] + data["read"] + data["write"] + data["timeout"]
    return Result(
        server=name,
        rps=data["requests"] / (data["duration_us"] / 1e6),
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        requests=data["requests"],
        ok=data["requests"] - data["non_2xx"],
        errors=errors,
        stored=stored,
        distinct=distinct,
        queued=queued,
    )


def prepare_database(dsn: str) -> None:
    name = dsn.rsplit("/", 1)[-1]
    admin = dsn.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')
    env = {**os.environ, "DATABASE_URL": dsn}
    subprocess.run(
        [str(VENV_BIN / "python"), "manage.py", "migrate", "--no-input", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(
            "CREATE TABLE IF NOT EXISTS baseline_webhook_event (id bigserial PRIMARY KEY, "
            "source varchar(20) NOT NULL, event_id varchar(255) NOT NULL, payload jsonb NOT "
            "NULL, status varchar(16) NOT NULL, received_at timestamptz NOT NULL DEFAULT "
            "now(), UNIQUE (source, event_id))"
        )


def run_django(args, dsn: str, run_id: str) -> Result:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": dsn,
        "DEBUG": "false",
        "SECRET_KEY": "webhook-benchmark-only-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": "https://clinic.example.com",
        "SECURE_SSL_REDIRECT": "false",
        "LOG_LEVEL": "WARNING",
        "PUBSUB_VERIFICATION_TOKEN": TOKEN,
        "Q_SYNC": "false",
    }
    # Everything else comes from gunicorn.conf.py, read from the working directory, as in
    # production. Keep-alive connections stay with the worker that accepted them: without a
    # cap, the first worker to wake takes most of wrk's connections and the other idles.
    command = [
        str(VENV_BIN / "gunicorn"),
        "--workers",
        str(args.workers),
        "--worker-connections",
        str(max(args.connections // args.workers, 1)),
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        *args.gunicorn_args.split(),
    ]
    url = f"http://127.0.0.1:{port}/api/v1/webhooks/gmail?token={TOKEN}"
    with running(command, env, url):
        return measure(
            "django",
            url,
            args,
            "SELECT count(*), count(DISTINCT event_id) FROM messaging_webhookevent "
            "WHERE event_id LIKE %s",
            dsn,
            run_id,
        )


def run_baseline(args, dsn: str, run_id: str) -> Result:
    uvicorn = BENCH_VENV_BIN / "uvicorn"
    if not uvicorn.exists():
        raise SystemExit(
            "The FastAPI baseline needs its virtualenv: python3.11 -m venv var/bench-venv && "
            "var/bench-venv/bin/pip install -r bench/requirements.txt"
        )
    port = free_port()
    env = {
        **os.environ,
        "BASELINE_DATABASE_URL": dsn,
        "PUBSUB_VERIFICATION_TOKEN": TOKEN,
    }
    command = [
        str(uvicorn),
        "bench.fastapi_baseline:app",
        "--workers",
        str(args.workers),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    url = f"http://127.0.0.1:{port}/webhooks/gmail?token={TOKEN}"
    with running(command, env, url):
        return measure(
            "fastapi",
            url,
            args,
            "SELECT count(*), count(DISTINCT event_id) FROM baseline_webhook_event "
            "WHERE event_id LIKE %s",
            dsn,
            run_id,
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_DB)
    parser.add_argument("--duration", type=int, default=20, help="seconds per wrk run")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections")
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    parser.add_argument(
        "--gunicorn-args", default="", help="extra gunicorn arguments (over gunicorn.conf.py)"
    )
    parser.add_argument("--rounds", type=int, default=1, help="alternate the servers N times")
    parser.add_argument("--skip-baseline", action="store_true")
    args = parser.parse_args()

    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install wrk")
    dsn = args.database_url
    if not dsn.rstrip("/").endswith("/webhook_bench"):
        raise SystemExit("use a database named webhook_bench: it is emptied on every run")
    prepare_database(dsn)

    results: dict[str, list[Result]] = {"django": [], "fastapi": []}
    stamp = time.strftime("%H%M%S")
    for round_no in range(1, args.rounds + 1):
        results["django"].append(run_django(args, dsn, f"dj{stamp}r{round_no}"))
        if not args.skip_baseline:
            results["fastapi"].append(run_baseline(args, dsn, f"fa{stamp}r{round_no}"))

    print(f"\nwrk -t{args.threads} -c{args.connections} -d{args.duration}s, {args.workers} workers")
    print("| server | req/s | p50 ms | p99 ms | requests | 204s | errors | stored | once | jobs |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |")
    for runs in results.values():
        for r in runs:
            once = "yes" if r.stored_once(args.connections) else "NO"
            print(
                f"| {r.server} | {r.rps:,.0f} | {r.p50_ms:.1f} | {r.p99_ms:.1f} | "
                f"{r.requests:,} | {r.ok:,} | {r.errors} | {r.stored:,} | {once} | "
                f"{'-' if r.queued is None else r.queued} |"
            )
    failures = []
    django = results["django"]
    rps = statistics.median(r.rps for r in django)
    p99 = statistics.median(r.p99_ms for r in django)
    if rps < 1000:
        failures.append(f"django {rps:,.0f} req/s < 1,000")
    if not all(r.stored_once(args.connections) for runs in results.values() for r in runs):
        failures.append("a run did not store every 204 exactly once")
    # Drains are coalesced: at least one, at most one per worker per window (1 s) and run.
    most = args.workers * (args.duration + 1) + args.workers
    if any(r.queued is not None and not 1 <= r.queued <= most for r in django):
        failures.append(f"drain jobs queued outside 1..{most}")
    if results["fastapi"]:
        base_rps = statistics.median(r.rps for r in results["fastapi"])
        base_p99 = statistics.median(r.p99_ms for r in results["fastapi"])
        print(
            f"\nmedian: django {rps:,.0f} req/s p99 {p99:.1f} ms; fastapi {base_rps:,.0f} "
            f"req/s p99 {base_p99:.1f} ms; ratio req/s {rps / base_rps:.2f}x (>= 0.8), "
            f"p99 {p99 / base_p99:.2f}x (<= 1.25)"
        )
        if rps < 0.8 * base_rps:
            failures.append("below 0.8x the baseline's req/s")
        if p99 > 1.25 * base_p99:
            failures.append("p99 above 1.25x the baseline's")
    print("\n" + ("FAIL: " + "; ".join(failures) if failures else "PASS: SPEC §9 webhook bars"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
