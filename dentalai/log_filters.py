"""Logs carry no patient data, even on errors (SPEC §9.1): a filter on every handler.

Our own log lines name ids only. What else could carry a patient's words, address or number is
the database's: the SQL Django logs at DEBUG with its parameters, and a database error's
message (PostgreSQL's "Key (email)=(…) already exists"). The filter keeps the record — its
level, logger, message and the traceback's frames — and withholds those two.
"""

import logging
import traceback

from django.db import Error as DatabaseError

WITHHELD = "withheld: may contain patient data"


def _database_error(exc: BaseException | None) -> bool:
    while exc is not None:
        if isinstance(exc, DatabaseError) or type(exc).__module__.startswith(
            ("psycopg", "sqlite3")
        ):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _without_messages(exc: BaseException) -> str:
    """The traceback of `exc` and of what caused it, each exception named but not quoted."""
    parts = []
    while exc is not None:
        frames = "".join(traceback.format_tb(exc.__traceback__))
        parts.append(
            f"Traceback (most recent call last):\n{frames}{type(exc).__name__} ({WITHHELD})"
        )
        exc = exc.__cause__ or exc.__context__
    return "\n\nWhich was raised while handling:\n\n".join(parts)


class WithholdPatientData(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "django.db.backends" and record.args:
            # "(%.3f) %s; args=%s; alias=%s": the statement, with its values, and its values.
            record.msg, record.args = f"SQL statement {WITHHELD}", ()
        if record.exc_info and _database_error(record.exc_info[1]):
            record.exc_text = _without_messages(record.exc_info[1])
        return True
