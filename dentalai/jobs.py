"""A record of every background job run (JobRun), for staff: when each job last ran, what it
did and why it failed. Task functions wrap their work in `job_run`."""

import datetime as dt
import json
import logging
import traceback
from collections.abc import Iterator
from contextlib import contextmanager

from django.utils import timezone
from django.utils.module_loading import import_string

from dentalai.models import JobRun

logger = logging.getLogger(__name__)

# Runs are kept this long: enough to see a pattern, bounded for a job that runs every minute.
RETENTION = dt.timedelta(days=30)
ERROR_LIMIT = 4000


@contextmanager
def job_run(name: str) -> Iterator[JobRun]:
    """Record one run of the job `name`: RUNNING at once (so a run killed by the worker's
    timeout stays visible as never finished), then OK with the counts the body put in
    `run.counts`, or FAILED with the error; the exception still propagates, so django-q2
    records the failure as well. Runs older than RETENTION are removed."""
    run = JobRun.objects.create(name=name, started_at=timezone.now())
    try:
        yield run
    except Exception as exc:
        # The traceback names code and exception messages, which carry ids, not message text.
        error = "".join(traceback.format_exception(exc))[-ERROR_LIMIT:]
        _finish(run, JobRun.Status.FAILED, error=error)
        logger.error("job %s failed (run %s): %s", name, run.pk, type(exc).__name__)
        raise
    else:
        _finish(run, JobRun.Status.OK)


def _finish(run: JobRun, status: str, *, error: str = "") -> None:
    run.status, run.error, run.finished_at = status, error, timezone.now()
    run.counts = json.loads(json.dumps(run.counts, default=str))  # dates and the like as text
    JobRun.objects.filter(pk=run.pk).update(
        status=run.status, error=run.error, finished_at=run.finished_at, counts=run.counts
    )
    JobRun.objects.filter(name=run.name, started_at__lt=run.started_at - RETENTION).delete()


def run_recorded(name: str, func: str, *args, **kwargs):
    """Call the function at dotted path `func`, recorded as a run of job `name` (for
    scheduled functions that do not record themselves, e.g. the Gmail jobs). A dict result
    becomes the run's counts."""
    target = import_string(func)
    with job_run(name) as run:
        value = target(*args, **kwargs)
        if isinstance(value, dict):
            run.counts = value
        elif value is not None:
            run.counts = {"result": str(value)[:200]}
    return value
