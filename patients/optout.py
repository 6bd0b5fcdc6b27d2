"""Opting out and back in (SPEC §5): compliance, not just an intent.

Opting out is recorded on the patient here; what follows in the layers above — every active
campaign closed as RECOVERY_DECLINED, follow-ups stopped, anything still queued cancelled — is
theirs, set off by the `patient_opted_out` signal (campaigns.receivers). Each write is
conditional, so running it twice, or beside a worker, changes nothing more. START
re-subscribes (campaigns stay closed: a new one starts only when the clinic starts it).
"""

import datetime as dt
import logging

from django.dispatch import Signal
from django.utils import timezone

from patients.models import Patient

logger = logging.getLogger(__name__)

OPTED_OUT = "This patient has opted out of messages."
CANCELLED_QUEUED = "Not sent: the patient opted out."

# Sent after every opt-out, a repeated one included: patient=, now=.
patient_opted_out = Signal()


def patient_opt_out(*, patient: Patient, now: dt.datetime | None = None) -> None:
    """Opt the patient out of everything."""
    now = now or timezone.now()
    Patient.objects.filter(pk=patient.pk, opted_out_at__isnull=True).update(
        opted_out_at=now, updated_at=now
    )
    patient.refresh_from_db(fields=["opted_out_at", "updated_at"])
    patient_opted_out.send(sender=Patient, patient=patient, now=now)
    logger.info("opted out: patient %s", patient.pk)


def patient_opt_in(*, patient: Patient) -> bool:
    """START: the patient may be messaged again. True when they were opted out."""
    changed = Patient.objects.filter(pk=patient.pk, opted_out_at__isnull=False).update(
        opted_out_at=None, updated_at=timezone.now()
    )
    patient.refresh_from_db(fields=["opted_out_at", "updated_at"])
    if changed:
        logger.info("opted back in: patient %s", patient.pk)
    return bool(changed)
