"""BASELINE ONLY — not part of the product. A minimal FastAPI + uvicorn Gmail-push endpoint,
the yardstick bench/webhook_load.py compares POST /api/v1/webhooks/gmail against (SPEC §9).

It does the same work as the product's endpoint with a `?token=` push: a constant-time token
check, parse the Pub/Sub envelope (base64 JSON `data` with emailAddress and historyId), store
the event once (unique per messageId) in its own PostgreSQL table, answer 204. (It queues no
background job: the product also does that, so the comparison favours the baseline.)

Its dependencies live in bench/requirements.txt, in a virtualenv of their own:

    python3.11 -m venv var/bench-venv && var/bench-venv/bin/pip install -r bench/requirements.txt
    BASELINE_DATABASE_URL=postgres://postgres@127.0.0.1:5432/webhook_bench \
    PUBSUB_VERIFICATION_TOKEN=bench-secret \
    var/bench-venv/bin/uvicorn bench.fastapi_baseline:app --workers 2 --port 8001
"""

import base64
import binascii
import hmac
import json
import os
from contextlib import asynccontextmanager

from fastapi import FastAPI, HTTPException, Request, Response
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

DSN = os.environ.get(
    "BASELINE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/webhook_bench"
).replace("postgres://", "postgresql://", 1)
TOKEN = os.environ.get("PUBSUB_VERIFICATION_TOKEN", "")
TABLE = """
CREATE TABLE IF NOT EXISTS baseline_webhook_event (
    id bigserial PRIMARY KEY,
    source varchar(20) NOT NULL,
    event_id varchar(255) NOT NULL,
    payload jsonb NOT NULL,
    status varchar(16) NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (source, event_id)
)
"""
INSERT = (
    "INSERT INTO baseline_webhook_event (source, event_id, payload, status) "
    "VALUES ('gmail', %s, %s, 'received') ON CONFLICT (source, event_id) DO NOTHING"
)

pool = AsyncConnectionPool(DSN, min_size=4, max_size=16, open=False)


@asynccontextmanager
async def lifespan(app: FastAPI):
    await pool.open()
    async with pool.connection() as connection:
        await connection.execute(TABLE)
    yield
    await pool.close()


app = FastAPI(lifespan=lifespan)


def envelope(body: bytes) -> tuple[str, dict]:
    try:
        payload = json.loads(body)
        message = payload["message"]
        message_id = message.get("messageId") or message["message_id"]
        data = message["data"]
        notice = json.loads(base64.b64decode(data + "=" * (-len(data) % 4), validate=True))
        if not notice["emailAddress"] or not str(notice["historyId"]).isdigit():
            raise ValueError
    except (ValueError, KeyError, TypeError, AttributeError, binascii.Error) as exc:
        raise HTTPException(status_code=400, detail="Malformed push.") from exc
    if not isinstance(message_id, str) or not 0 < len(message_id) <= 200:
        raise HTTPException(status_code=400, detail="Malformed push.")
    return message_id, payload


@app.post("/webhooks/gmail", status_code=204)
async def gmail_push(request: Request, token: str = "") -> Response:
    if not TOKEN or not hmac.compare_digest(token.encode(), TOKEN.encode()):
        raise HTTPException(status_code=401, detail="The request is not authenticated.")
    message_id, payload = envelope(await request.body())
    async with pool.connection() as connection:
        await connection.execute(INSERT, (message_id, Jsonb(payload)))
    return Response(status_code=204)
