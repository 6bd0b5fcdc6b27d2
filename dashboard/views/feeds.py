"""The private calendar feeds: the page where staff make and revoke them, and the feed itself,
read by calendar apps with no login — the signed URL is the key (appointments.feeds)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from appointments.feeds import (
    feed_calendar,
    feed_create,
    feed_for_token,
    feed_read_record,
    feed_revoke,
    feed_url,
)
from appointments.models import CalendarFeed
from dashboard import selectors
from dashboard.forms import CalendarFeedForm
from dentalai.roles import requires


@login_required
@requires("appointments.add_calendarfeed")
def calendar_feeds(request):
    form = CalendarFeedForm(request.POST or None, providers=selectors.providers())
    if request.method == "POST" and form.is_valid():
        feed = feed_create(
            provider=form.cleaned_data["provider"],
            patient_details=form.cleaned_data["patient_details"],
            actor=request.user,
        )
        messages.success(request, f"{feed} made: copy its URL into your calendar app.")
        return redirect("dashboard:calendar_feeds")
    feeds = CalendarFeed.objects.filter(revoked_at=None).select_related("provider", "created_by")
    rows = [(feed, feed_url(feed)) for feed in feeds]
    status = 400 if form.is_bound else 200
    return render(
        request, "dashboard/calendar_feeds.html", {"form": form, "feeds": rows}, status=status
    )


@login_required
@requires("appointments.change_calendarfeed")
@require_POST
def calendar_feed_revoke(request, feed_id: str):
    feed = CalendarFeed.objects.filter(pk=feed_id[:24]).first()
    if feed is None:
        raise Http404("Feed not found.")
    if feed_revoke(feed, actor=request.user):
        messages.success(request, f"{feed} revoked: its URL shows nothing from now on.")
    return redirect("dashboard:calendar_feeds")


@require_GET
def calendar_feed(request, token: str):
    """The feed's iCalendar document; a 404 for a revoked, unknown or forged URL."""
    feed = feed_for_token(token)
    if feed is None:
        raise Http404("No such calendar feed.")
    feed_read_record(feed, now=timezone.now())
    response = HttpResponse(feed_calendar(feed), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="schedule.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response
