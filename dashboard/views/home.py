"""The home page: the KPIs (SPEC §4), the funnels, the weekly trends, and who is waiting."""

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from campaigns.stats import Period, clinic_month_bounds, dashboard_stats
from dashboard import selectors
from dashboard.charts import Series, bar_chart, legend

WEEKS = 12
FAILED_SHOWN = 8
PERIOD_LABELS = {
    "month": "This month",
    "30": "Last 30 days",
    "90": "Last 90 days",
    "365": "Last 12 months",
    "all": "All time",
}
DEFAULT_PERIOD = "month"


def period_bounds(period: str, now: dt.datetime) -> Period:
    """[start, end) of a period of the selector; the month is the clinic's calendar month."""
    if period == "month":
        return clinic_month_bounds(now)
    if period == "all":
        return (None, None)
    return (now - dt.timedelta(days=int(period)), now)


# What each number means, shown on hover and focus (the API documents the same definitions).
KPI_DEFINITIONS = {
    "appointments_booked_month": "Appointments created in the period (clinic time), whatever "
    "day they are for; cancelled ones are not counted, a moved one counts once.",
    "handoffs_requiring_action": "Conversations the AI handed to a person and waiting now. "
    "The AI does not reply to them until someone hands them back.",
    "active_recovery_campaigns": "Recovery campaigns open now: reaching out, with the AI, with "
    "staff or booking in progress.",
    "recovery_rate_percent": "Of the recovery campaigns started in the period, open or closed, "
    "the share that ended recovered.",
    "recall_rate_percent": "Of the recall campaigns started in the period, open or closed, the "
    "share that ended in a completed visit.",
    "pipeline_value_recovered": "The estimated value of the campaigns started in the period "
    "that ended recovered, recall and recovery.",
    "recoveries": "Cold leads won back: recovery campaigns started in the period that ended "
    "recovered.",
    "confirmation_rate_percent": "Of the visits in the period (cancelled ones left out), the "
    "share the patient confirmed — by replying to a reminder or to staff.",
    "no_show_rate_percent": "Of the visits in the period that are over, the share marked no-show.",
    "reminders_sent_month": "Visit reminders delivered in the period.",
    "slots_refilled_month": "Freed times booked in the period by a patient from the ASAP list, "
    "and what they are worth (each service's usual fee).",
}


def _charts(weeks, trends) -> list[dict]:
    labels = [w.label for w in weeks]
    specs = [
        (
            "Appointments per week",
            "Booked: appointments created that week, not cancelled. Completed: visits that "
            "took place that week.",
            [
                Series("Booked", trends["appointments"]["booked"], "series-a"),
                Series("Completed", trends["appointments"]["completed"], "series-b"),
            ],
        ),
        (
            "Campaigns started per week",
            "Recalls start when a patient is due back; recoveries when a lead is picked up.",
            [
                Series("Recall", trends["campaigns"]["recall"], "series-a"),
                Series("Recovery", trends["campaigns"]["recovery"], "series-b"),
            ],
        ),
        (
            "Messages per week",
            "Sent: messages delivered to the channel (AI and staff). Replies: messages from "
            "patients.",
            [
                Series("Sent", trends["messages"]["sent"], "series-a"),
                Series("Replies", trends["messages"]["replies"], "series-b"),
            ],
        ),
    ]
    return [
        {
            "title": title,
            "definition": definition,
            "svg": bar_chart(title=title, labels=labels, series=series),
            "legend": legend(series),
            "rows": [
                {"label": label, "values": [s.values[i] for s in series]}
                for i, label in enumerate(labels)
            ],
            "series": series,
        }
        for title, definition, series in specs
    ]


@login_required
def home(request):
    now = timezone.now()
    period = request.GET.get("period", DEFAULT_PERIOD)
    if period not in PERIOD_LABELS:
        period = DEFAULT_PERIOD
    bounds = period_bounds(period, now)

    stats = dashboard_stats(now=now, period=bounds)
    weeks = selectors.clinic_weeks(count=WEEKS, now=now)
    queue = selectors.handoff_queue(now=now)
    failed = selectors.failed_messages(now=now)
    return render(
        request,
        "dashboard/home.html",
        {
            "stats": stats,
            "definitions": KPI_DEFINITIONS,
            "funnels": selectors.campaign_funnels(since=bounds[0]),
            "period": period,
            "periods": PERIOD_LABELS,
            "period_label": PERIOD_LABELS[period],
            "charts": _charts(weeks, selectors.weekly_trends(weeks=weeks)),
            "queue": queue[:5],
            "queue_total": len(queue),
            "unprocessed_total": selectors.unprocessed_events_count(),
            "failed": failed[:FAILED_SHOWN],
            "failed_total": failed.count(),
        },
    )
