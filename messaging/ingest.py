"""Taking a webhook in: store the provider's notification once, make sure a drain will process
it, answer. This is the hot path of every webhook (SPEC §9: Gmail's pushes under load), so it
does one database statement per notification and, most of the time, nothing else.

- Storing: one `INSERT … ON CONFLICT DO NOTHING` (the SQL Django's own `bulk_create(...,
  ignore_conflicts=True)` writes, without its transaction and per-call compilation), values
  prepared by the model's fields. A redelivery hits the unique (source, event_id) and inserts
  nothing. On MongoDB (no such statement) the ORM's create, refused by the same unique index.
- Processing: the stored events are the queue. A django-q2 job, `drain_webhook_events`,
  processes every RECEIVED event, looking again until it finds none. Each web process queues
  one drain as soon as an event arrives, then no other for `WEBHOOK_DRAIN_COALESCE_SECONDS`
  (1 s): an event in that window is taken by the running drain's next look, or by the next
  drain queued (the next event's, or the one scheduled every minute, which also catches what a
  lost job or a broker outage left). Under a burst this is a job a second per process instead
  of one per notification; Gmail's notifications, which all mean "the mailbox changed", need
  one history sync anyway.
"""

import functools
import logging
import threading
import time

from django.conf import settings
from django.db import IntegrityError, connections, router, transaction
from django.db.models.constants import OnConflict
from django.utils import timezone
from django_q.tasks import async_task

from dentalai.models import new_object_id
from dentalai.untrusted import without_control
from messaging.choices import WebhookStatus
from messaging.models import WebhookEvent

logger = logging.getLogger(__name__)

DRAIN_TASK = "messaging.tasks.drain_webhook_events"

_drain_lock = threading.Lock()
_drain_queued_at = float("-inf")  # time.monotonic() of this process's last queued drain


def webhook_event_receive(*, source: str, event_id: str, payload: dict) -> bool:
    """Store a provider's notification and see that it gets processed. False for a redelivery
    (the provider's id is already stored): the caller acknowledges it, nothing else happens."""
    if not webhook_event_store(source=source, event_id=event_id, payload=payload):
        return False
    webhook_drain_request()
    return True


def webhook_event_store(*, source: str, event_id: str, payload: dict) -> bool:
    """Store the event unless (source, event_id) is already stored. True when stored. The
    payload is kept without control characters: a provider forwards whatever a patient typed,
    and PostgreSQL's JSON refuses NUL."""
    payload, event_id = without_control(payload), without_control(event_id)
    connection = connections[router.db_for_write(WebhookEvent)]
    if not connection.features.supports_ignore_conflicts:
        try:
            with transaction.atomic(using=connection.alias):
                WebhookEvent.objects.create(source=source, event_id=event_id, payload=payload)
        except IntegrityError:
            return False
        return True
    fields, sql = _insert_ignoring_conflicts(connection.alias)
    values = (new_object_id(), source, event_id, payload, WebhookStatus.RECEIVED, timezone.now())
    params = [
        field.get_db_prep_save(value, connection)
        for field, value in zip(fields, values, strict=True)
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount == 1


# The columns written on arrival, in the order of the values above; the statement fills in
# error ('') and attempts (0), and processed_at and claimed_until stay NULL.
_INSERTED = ("id", "source", "event_id", "payload", "status", "received_at")


@functools.cache
def _insert_ignoring_conflicts(alias: str) -> tuple[list, str]:
    ops = connections[alias].ops
    fields = [WebhookEvent._meta.get_field(name) for name in _INSERTED]
    filled = [WebhookEvent._meta.get_field(name) for name in ("error", "attempts")]
    columns = [ops.quote_name(field.column) for field in (*fields, *filled)]
    sql = " ".join(
        part
        for part in (
            ops.insert_statement(on_conflict=OnConflict.IGNORE),
            ops.quote_name(WebhookEvent._meta.db_table),
            "({})".format(", ".join(columns)),
            "VALUES ({}, '', 0)".format(", ".join(["%s"] * len(fields))),
            ops.on_conflict_suffix_sql(fields, OnConflict.IGNORE, None, None),
        )
        if part
    )
    return fields, sql


def webhook_drain_request() -> bool:
    """Queue a drain, unless this process queued one less than the coalescing window ago.
    True when one was queued."""
    global _drain_queued_at
    window = settings.WEBHOOK_DRAIN_COALESCE_SECONDS
    now = time.monotonic()
    with _drain_lock:
        if window and now - _drain_queued_at < window:
            return False
        _drain_queued_at = now
    try:
        async_task(DRAIN_TASK)
    except Exception:  # the broker is down: the event is stored, the scheduled drain will come
        logger.exception("could not queue the webhook drain")
        webhook_drain_forget()
        return False
    return True


def webhook_drain_forget() -> None:
    """Forget this process's last drain request (tests)."""
    global _drain_queued_at
    with _drain_lock:
        _drain_queued_at = float("-inf")
