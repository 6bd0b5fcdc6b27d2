"""The public booking page, /book/: service → month → day → time → details → confirmation.

Public and anonymous: it reads availability (appointments.availability) and books through
`appointments.services.appointment_book`, the same code as `POST /api/v1/appointments/book`,
under the same per-address throttle. Opened from a campaign's signed link (`?t=`), it is bound to
that campaign and shows nothing about the patient but the first name. Opened from a visit's
self-service page to move the visit (`?v=`, the visit's signed token), the same steps pick the
new time and the last one moves the visit (`appointment_reschedule`). Every step is a plain page
(it works without JavaScript); with htmx, changing month or day swaps only the calendar.
"""

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from django.conf import settings
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode

from appointments.availability import day_offered, month_availability
from appointments.booking_links import BookingLinkError, booking_token_campaign_id
from appointments.models import Appointment, Service
from appointments.services import (
    SERVICE_NOT_FOUND,
    SLOT_TAKEN,
    appointment_book,
    appointment_get,
    appointment_reschedule,
    link_booked_visit,
)
from appointments.status import is_movable
from appointments.visit_links import (
    VISIT_LINK_INVALID,
    visit_token_appointment_id,
    visit_token_make,
)
from booking.forms import ContactForm
from campaigns.models import Campaign
from dentalai.clinic_time import clinic_today, clinic_zone, computable
from dentalai.errors import ApplicationError, Conflict, NotFound
from dentalai.throttles import THROTTLED, booking_try

SESSION_KEY = "booking_confirmed"
MONTHS_AHEAD = 12
_TIME = re.compile(r"([01]\d|2[0-3]):[0-5]\d")
_MONTH = re.compile(r"(\d{4})-(\d{2})")


@dataclass(frozen=True)
class Link:
    """What the signed link tells the page: the token to pass on, the first name to greet, or
    why the link cannot be used."""

    token: str = ""
    first_name: str = ""
    problem: str = ""
    booked: Appointment | None = None  # a link books one visit; afterwards it shows that one
    moving: Appointment | None = None  # the visit a visit link (?v=) moves

    @property
    def param(self) -> str:
        return "v" if self.moving else "t"


def _visit_link(token: str) -> Link:
    """A visit's link, to move it: the visit while it is upcoming."""
    appointment_id = visit_token_appointment_id(token)
    visit = Appointment.objects.select_related("patient", "service", "provider")
    visit = visit.filter(pk=appointment_id).first() if appointment_id else None
    if visit is None:
        return Link(problem=VISIT_LINK_INVALID)
    if not is_movable(visit):
        return Link(problem="This visit can no longer be moved.")
    return Link(token=token, first_name=visit.patient.first_name, moving=visit)


def link_from_request(request) -> Link:
    """The link a booking page was opened with (?v= a visit to move, ?t= a campaign's booking
    link), or none: the public booking page."""
    visit_token = (request.POST.get("v") or request.GET.get("v") or "").strip()[:1000]
    if visit_token:
        return _visit_link(visit_token)
    token = (request.POST.get("t") or request.GET.get("t") or "").strip()[:1000]
    if not token:
        return Link()
    try:
        campaign_id = booking_token_campaign_id(token)
    except BookingLinkError as exc:
        return Link(problem=exc.message)
    campaign = Campaign.objects.select_related("patient").filter(pk=campaign_id).first()
    if campaign is None:
        return Link(problem="This booking link is not valid any more.")
    return Link(
        token=token,
        first_name=campaign.patient.first_name,
        booked=link_booked_visit(campaign.pk),
    )


def _booked_page(request, link: Link):
    """What a used link opens, whichever step it points at: the visit it booked."""
    return render(
        request,
        "booking/confirmed.html",
        _context(
            request,
            link,
            step=5,
            appointment=link.booked,
            start_at=link.booked.appointment_date.astimezone(clinic_zone()),
            already=True,
        ),
    )


def _with_token(url: str, link: Link, **params) -> str:
    if link.token:
        params[link.param] = link.token
    return f"{url}?{urlencode(params)}" if params else url


def service_or_404(slug: str, link: Link | None = None) -> Service:
    """The service of a booking page's URL; a visit's link moves it within its service."""
    service = Service.objects.filter(slug=slug).first()
    if service is None or (link and link.moving and link.moving.service_id != service.pk):
        raise Http404(SERVICE_NOT_FOUND)  # a move keeps the visit's service
    return service


def _parse_day(value: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(value)
    except ValueError as exc:
        raise Http404("No such day.") from exc
    if not computable(day):
        raise Http404("No such day.")
    return day


def _context(request, link: Link, **extra) -> dict:
    return {
        "link": link,
        "clinic_zone": clinic_zone(),
        "clinic_address": settings.CLINIC_POSTAL_ADDRESS,
        **extra,
    }


def _visit_page(visit: Appointment) -> str:
    return reverse("booking:visit", args=[visit_token_make(visit)])


def start(request):
    link = link_from_request(request)
    if link.booked:
        return _booked_page(request, link)
    if link.moving:  # a move keeps the service
        month_url = reverse("booking:month", args=[link.moving.service.slug])
        return redirect(_with_token(month_url, link))
    services = Service.objects.order_by("name")
    return render(
        request,
        "booking/start.html",
        _context(
            request,
            link,
            step=1,
            services=[
                (s, _with_token(reverse("booking:month", args=[s.slug]), link)) for s in services
            ],
        ),
    )


def _month_of(request, day: dt.date | None) -> tuple[int, int]:
    today = clinic_today()
    if day is not None:
        year, month = day.year, day.month
    else:
        found = _MONTH.fullmatch(request.GET.get("month", ""))
        year, month = (int(found[1]), int(found[2])) if found else (today.year, today.month)
    if not 1 <= month <= 12:
        year, month = today.year, today.month
    # From this month to MONTHS_AHEAD ahead.
    index = year * 12 + month - 1
    first, last = today.year * 12 + today.month - 1, today.year * 12 + today.month - 1
    last += MONTHS_AHEAD
    index = min(max(index, first), last)
    return index // 12, index % 12 + 1


def _calendar(request, service: Service, link: Link, day: dt.date | None) -> dict:
    year, month = _month_of(request, day)
    free = month_availability(service, year=year, month=month)
    today = clinic_today()
    if not free and day is None and not request.GET.get("month"):
        # Late in a full month, open on the next one rather than on an empty page.
        next_year, next_month = (year + 1, 1) if month == 12 else (year, month + 1)
        next_free = month_availability(service, year=next_year, month=next_month)
        if next_free:
            year, month, free = next_year, next_month, next_free
    weeks = []
    for week in calendar.Calendar(firstweekday=0).monthdatescalendar(year, month):
        cells = []
        for d in week:
            times = free.get(d.isoformat(), []) if d.month == month else []
            cells.append(
                {
                    "date": d,
                    "in_month": d.month == month,
                    "count": len(times),
                    "selected": d == day,
                    "today": d == today,
                    "url": _with_token(
                        reverse("booking:day", args=[service.slug, d.isoformat()]), link
                    )
                    if times
                    else "",
                }
            )
        weeks.append(cells)
    index = year * 12 + month - 1
    this_month = today.year * 12 + today.month - 1
    month_url = reverse("booking:month", args=[service.slug])

    def month_link(i: int) -> str:
        return _with_token(month_url, link, month=f"{i // 12:04d}-{i % 12 + 1:02d}")

    return {
        "service": service,
        "month_start": dt.date(year, month, 1),
        "weeks": weeks,
        "weekdays": [calendar.day_abbr[i] for i in range(7)],
        "weekday_names": [calendar.day_name[i] for i in range(7)],
        "free_days": len(free),
        "previous_url": month_link(index - 1) if index > this_month else "",
        "next_url": month_link(index + 1) if index < this_month + MONTHS_AHEAD else "",
        "asap_url": _with_token(reverse("booking:asap_join", args=[service.slug]), link),
        "services_url": _visit_page(link.moving)
        if link.moving
        else _with_token(reverse("booking:start"), link),
    }


def month(request, service: str):
    link = link_from_request(request)
    svc = service_or_404(service, link)
    if link.booked:
        return _booked_page(request, link)
    context = _context(request, link, step=2, **_calendar(request, svc, link, None))
    if request.htmx:
        return render(request, "booking/_calendar.html", context)
    return render(request, "booking/month.html", context)


def _twelve_hour(t: dt.time) -> str:
    """As patients in the clinic's country read a time: "9:30 AM"."""
    return f"{(t.hour % 12) or 12}:{t.minute:02d} {'AM' if t.hour < 12 else 'PM'}"


def _times(service: Service, day: dt.date, link: Link) -> list[dict]:
    zone = clinic_zone()
    starts = day_offered(service, day=day)
    return [
        {
            "label": _twelve_hour(t.astimezone(zone).time()),
            "url": _with_token(
                reverse(
                    "booking:details",
                    args=[service.slug, day.isoformat(), t.astimezone(zone).strftime("%H:%M")],
                ),
                link,
            ),
        }
        for t in starts
    ]


def _day_context(request, svc: Service, day: dt.date, link: Link, **extra) -> dict:
    return _context(
        request,
        link,
        step=3,
        day=day,
        times=_times(svc, day, link),
        **_calendar(request, svc, link, day),
        **extra,
    )


def day(request, service: str, day: str):
    link = link_from_request(request)
    svc = service_or_404(service, link)
    the_day = _parse_day(day)
    if link.booked:
        return _booked_page(request, link)
    context = _day_context(request, svc, the_day, link)
    if request.htmx:
        return render(request, "booking/_calendar.html", context)
    return render(request, "booking/month.html", context)


def _start_of(the_day: dt.date, time: str) -> dt.datetime:
    if not _TIME.fullmatch(time):
        raise Http404("No such time.")
    local = dt.datetime.combine(the_day, dt.time.fromisoformat(time))
    return local.replace(tzinfo=clinic_zone())


def details(request, service: str, day: str, time: str):
    link = link_from_request(request)
    svc = service_or_404(service, link)
    the_day = _parse_day(day)
    start_at = _start_of(the_day, time)
    if link.booked:
        return _booked_page(request, link)
    form = ContactForm(request.POST or None) if not link.token else None
    context = _context(
        request,
        link,
        step=4,
        service=svc,
        day=the_day,
        time=_twelve_hour(start_at.time()),
        start_at=start_at,
        form=form,
        new_patients=settings.BOOKING_NEW_PATIENTS in ("on", "all"),
        back_url=_with_token(reverse("booking:day", args=[svc.slug, the_day.isoformat()]), link),
        moving_from=link.moving.appointment_date.astimezone(clinic_zone()) if link.moving else None,
        error="",
    )
    if request.method != "POST":
        return render(request, "booking/details.html", context)

    if booking_try(request) is not None:
        context["error"] = THROTTLED
        return render(request, "booking/details.html", context, status=429)
    if form is not None and not form.is_valid():
        return render(request, "booking/details.html", context, status=400)
    contact = form.cleaned_data if form is not None else {}
    try:
        if link.moving:
            moved = appointment_reschedule(
                actor=None, appointment_id=link.moving.pk, appointment_date=start_at
            )
            return redirect(_visit_page(moved))
        result = appointment_book(
            service=svc,
            appointment_date=start_at,
            email=contact.get("email") or None,
            phone=contact.get("phone") or None,
            token=link.token or None,
            name=contact.get("name", ""),
            new_patients=settings.BOOKING_NEW_PATIENTS in ("on", "all"),
        )
    except Conflict as exc:
        message = (
            "Sorry, that time was just taken by someone else. Please choose another time."
            if exc.message == SLOT_TAKEN
            else exc.message
        )
        return render(
            request,
            "booking/month.html",
            _day_context(request, svc, the_day, link, taken=message),
            status=409,
        )
    except NotFound as exc:
        context["error"] = exc.message
        return render(request, "booking/details.html", context, status=404)
    except ApplicationError as exc:
        context["error"] = exc.message
        return render(request, "booking/details.html", context, status=400)
    request.session[SESSION_KEY] = result.appointment.pk
    return redirect("booking:confirmed")


def confirmed(request):
    appointment_id = request.session.get(SESSION_KEY)
    if not appointment_id:
        return redirect("booking:start")
    try:
        appointment = appointment_get(appointment_id=appointment_id)
    except NotFound:
        return redirect("booking:start")
    return render(
        request,
        "booking/confirmed.html",
        _context(
            request,
            Link(first_name=appointment.patient.first_name),
            step=5,
            appointment=appointment,
            start_at=appointment.appointment_date.astimezone(clinic_zone()),
        ),
    )
