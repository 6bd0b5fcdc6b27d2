"""Races, staged without replacing any of our functions: a competing write is slipped in at the
exact point where the code under test sends a given SQL statement, through Django's own query
hook (`connection.execute_wrapper`). The code runs unchanged; only the database moves under it,
as it would when another request, run or member of staff got there first."""

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import connection as default_connection
from django.db.models import Model


@dataclass
class Injection:
    """What happened: how many times the action ran, and what it last returned."""

    fired: int = 0
    result: Any = None


def statement(verb: str, model: type[Model], *, mentioning: str = "") -> Callable[[str], bool]:
    """A test for SQL text: `verb` ("SELECT", "INSERT", "UPDATE" or "DELETE") on `model`'s
    table (`SELECT … FROM t`, `INSERT INTO t`, `UPDATE t`, `DELETE FROM t`), and, when given,
    naming the column `mentioning`."""
    table = re.escape(f'"{model._meta.db_table}"')
    subject = {
        "SELECT": r"SELECT\b.*?\bFROM",
        "INSERT": "INSERT INTO",
        "UPDATE": "UPDATE",
        "DELETE": "DELETE FROM",
    }[verb]
    head = re.compile(rf"{subject} {table}", re.DOTALL)
    column = f'"{mentioning}"'

    def matches(sql: str) -> bool:
        return bool(head.match(sql)) and (not mentioning or column in sql)

    return matches


@contextmanager
def _on_query(
    matching: Callable[[str], bool],
    action: Callable[[], Any],
    *,
    after: bool,
    once: bool,
    connection=default_connection,
) -> Iterator[Injection]:
    injection = Injection()
    acting = False

    def wrapper(execute, sql, params, many, context):
        # The action's own queries pass straight through: no recursion.
        due = not acting and not (once and injection.fired) and matching(sql)
        if due and not after:
            _act()
        result = execute(sql, params, many, context)
        if due and after:
            _act()
        return result

    def _act():
        nonlocal acting
        acting = True
        try:
            injection.fired += 1
            injection.result = action()
        finally:
            acting = False

    with connection.execute_wrapper(wrapper):
        yield injection


def before_query(
    matching: Callable[[str], bool],
    action: Callable[[], Any],
    *,
    once: bool = True,
    connection=default_connection,
) -> AbstractContextManager[Injection]:
    """Inside the block, run `action` just before the first statement that `matching` accepts
    is sent on `connection` (every such statement with once=False), then send it.

    The action runs on the same connection, so inside whatever transaction and savepoint the
    code under test has open: a write injected just before a statement inside
    `transaction.atomic()` is undone with it if that savepoint rolls back. When the code under
    test rolls its write back on the conflict, inject after its check instead (`after_query`),
    before the savepoint opens. Connections are per thread: enter this in the thread whose
    queries it should see."""
    return _on_query(matching, action, after=False, once=once, connection=connection)


def after_query(
    matching: Callable[[str], bool],
    action: Callable[[], Any],
    *,
    once: bool = True,
    connection=default_connection,
) -> AbstractContextManager[Injection]:
    """Like `before_query`, but `action` runs just after the matching statement has been
    executed, before the code under test looks at its result: the point between a check and
    the write it guards. On SQLite the rows of a long read may still be fetched after the
    action, so let the action write to another table than that statement reads, or follow a
    statement that yields at most one row (an `.exists()`)."""
    return _on_query(matching, action, after=True, once=once, connection=connection)


def run_together(work: Callable[[], Any], *, threads: int = 2) -> list[Exception]:
    """Run `work` in `threads` threads released at the same moment (each closes its own
    database connection); the exceptions they raised."""
    start = threading.Barrier(threads, timeout=30)
    errors: list[Exception] = []

    def worker():
        try:
            start.wait()
            work()
        except Exception as exc:  # returned to the test
            errors.append(exc)
        finally:
            default_connection.close()

    running = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join()
    return errors
