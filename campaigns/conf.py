"""The scheduler's settings, read from the environment (listed in .env.example).

Read on each call, so a test or a management command sees the environment as it is now; the
app checks them once at start-up (CampaignsConfig.ready), so a bad value stops the process
with ImproperlyConfigured naming the variable instead of failing at 07:00 the next morning.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ImproperlyConfigured

from dentalai.env import clock_time, integer, text


@dataclass(frozen=True)
class SchedulerSettings:
    daily_trigger_time: dt.time
    followup_interval_minutes: int
    followup_batch_size: int
    gmail_poll_minutes: int
    recovery_estimated_value: Decimal
    recall_estimated_value: Decimal


def _money(name: str, default: str) -> Decimal:
    raw = text(name, default)
    try:
        value = Decimal(raw)
    except InvalidOperation as exc:
        raise ImproperlyConfigured(f"{name}: {raw!r} is not an amount like 250.00") from exc
    # Campaign.estimated_value: 10 digits, 2 decimals.
    if not value.is_finite() or value < 0 or value >= Decimal("1e8"):
        raise ImproperlyConfigured(f"{name}: {raw!r} is not an amount between 0 and 99999999.99")
    return value.quantize(Decimal("0.01"))


def scheduler_settings() -> SchedulerSettings:
    return SchedulerSettings(
        daily_trigger_time=clock_time("DAILY_TRIGGER_TIME", "07:00"),
        # Every 1-60 minutes: under a minute the scheduler's own 30 s tick is the limit.
        followup_interval_minutes=integer("FOLLOWUP_INTERVAL_MINUTES", 5, 1, 60),
        followup_batch_size=integer("FOLLOWUP_BATCH_SIZE", 500, 1, 10_000),
        gmail_poll_minutes=integer("GMAIL_POLL_MINUTES", 5, 1, 60),
        # A recovered lead's first visit (new-patient exam, X-rays, cleaning), and a recall
        # visit (cleaning and checkup): staff correct it per campaign once the treatment is known.
        recovery_estimated_value=_money("RECOVERY_ESTIMATED_VALUE", "300.00"),
        recall_estimated_value=_money("RECALL_ESTIMATED_VALUE", "200.00"),
    )
