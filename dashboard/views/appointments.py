"""The appointments calendar (day and week, per provider), booking by staff, completing and
cancelling. Writes go through appointments.services."""

import datetime as dt
import math
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from appointments import services
from appointments.choices import AppointmentStatus, ChangedBy
from appointments.closures import closed_days
from appointments.exports import APPOINTMENT_COLUMNS
from appointments.status import is_movable
from dashboard import selectors
from dashboard.forms import (
    AppointmentCreateForm,
    CalendarForm,
    CancelVisitForm,
    CompleteForm,
    MoveVisitForm,
    VisitNotesForm,
    clinic_start,
)
from dashboard.views.common import get_or_404
from dashboard.views.staff_times import offered_times
from dentalai.clinic_time import clinic_today, clinic_zone
from dentalai.errors import ApplicationError, NotFound
from dentalai.exports import csv_response
from dentalai.roles import requires

ROW_MINUTES = 15
DEFAULT_HOURS = (dt.time(8), dt.time(18))


@dataclass
class Block:
    """Something placed on the calendar grid: rows are 15-minute units from the grid's top."""

    column: int
    row: int
    span: int
    appointment: object = None
    open_label: str = ""
    book_url: str = ""
    past: bool = False
    closed_label: str = ""


@dataclass
class Column:
    title: str
    subtitle: str
    day: dt.date
    provider: object


def _minutes(t: dt.time) -> int:
    return t.hour * 60 + t.minute


def _shown(request, providers) -> tuple[CalendarForm, str, dt.date, list[dt.date], object]:
    """What the calendar's query asks to see: (the form, "day" or "week", the day asked for,
    the days shown, the chosen provider or None). A week is one provider's."""
    form = CalendarForm(request.GET or None, providers=providers)
    data = form.cleaned_data if form.is_valid() else {}
    view = data.get("view") or "day"
    day = data.get("date") or clinic_today()
    chosen = {p.pk: p for p in providers}.get(data.get("provider") or "")
    if view != "week":
        return form, view, day, [day], chosen
    first = day - dt.timedelta(days=day.weekday())
    chosen = chosen or (providers[0] if providers else None)
    return form, view, day, [first + dt.timedelta(days=i) for i in range(7)], chosen


def _calendar(request):
    providers = selectors.providers()
    form, view, day, days, chosen = _shown(request, providers)
    if view == "week":
        # Seven columns side by side.
        columns = [Column(f"{d:%a}", f"{d:%b} {d.day}", d, chosen) for d in days]
        step = dt.timedelta(weeks=1)
    else:
        shown = [chosen] if chosen else providers
        columns = [Column(p.name, p.get_role_display(), day, p) for p in shown]
        step = dt.timedelta(days=1)

    provider_ids = [c.provider.pk for c in columns if c.provider]
    appointments = list(
        services.appointment_list(
            start_date=days[0],
            end_date=days[-1],
            provider_id=chosen.pk if chosen else None,
        )
    )
    hours = selectors.working_hours(provider_ids=provider_ids, weekdays={d.weekday() for d in days})
    zone = clinic_zone()

    # The grid spans everyone's working hours that day or week, and any visit outside them.
    starts = [b[0] for blocks in hours.values() for b in blocks] or [DEFAULT_HOURS[0]]
    ends = [b[1] for blocks in hours.values() for b in blocks] or [DEFAULT_HOURS[1]]
    top = min(_minutes(t) for t in starts)
    bottom = max(_minutes(t) for t in ends)
    for a in appointments:
        if a.status == AppointmentStatus.CANCELLED:
            continue
        local = a.appointment_date.astimezone(zone)
        top = min(top, _minutes(local.time()))
        bottom = max(bottom, _minutes(local.time()) + a.duration_minutes)
    top = top // 60 * 60
    bottom = min(math.ceil(bottom / 60) * 60, 24 * 60)
    rows = (bottom - top) // ROW_MINUTES

    now = timezone.now().astimezone(zone)
    now_minutes = _minutes(now.time())
    closed = closed_days(days[0], days[-1])
    blocks: list[Block] = []
    column_of = {}
    for index, column in enumerate(columns, start=2):
        key = (column.provider.pk if column.provider else None, column.day)
        column_of[key] = index
        if column.day in closed:
            blocks.append(Block(index, 2, rows, closed_label=f"Closed: {closed[column.day]}"))
            continue
        # Past hours are shaded and offer no booking; today's open time starts now.
        past_until = (
            top if column.day > now.date() else bottom if column.day < now.date() else now_minutes
        )
        if past_until > top:
            blocks.append(
                Block(index, 2, math.ceil((min(past_until, bottom) - top) / ROW_MINUTES), past=True)
            )
        if not column.provider:
            continue
        for start, end in hours.get((column.provider.pk, column.day.weekday()), []):
            first = max(_minutes(start), math.ceil(past_until / ROW_MINUTES) * ROW_MINUTES)
            if first >= _minutes(end):
                continue
            opening = dt.time(first // 60, first % 60)
            blocks.append(
                Block(
                    column=index,
                    row=(first - top) // ROW_MINUTES + 2,
                    span=max((_minutes(end) - first) // ROW_MINUTES, 1),
                    open_label=f"{opening:%H:%M} to {end:%H:%M}",
                    book_url=reverse("dashboard:appointment_new")
                    + "?"
                    + urlencode(
                        {
                            "date": column.day.isoformat(),
                            "time": f"{opening:%H:%M}",
                            "provider": column.provider.pk,
                        }
                    ),
                )
            )
    cancelled = []
    for a in appointments:
        if a.status == AppointmentStatus.CANCELLED:
            cancelled.append(a)
            continue
        local = a.appointment_date.astimezone(zone)
        index = column_of.get((a.provider_id, local.date()))
        if index is None:
            continue
        row = (_minutes(local.time()) - top) // ROW_MINUTES
        blocks.append(
            Block(
                column=index,
                row=row + 2,
                span=max(math.ceil(a.duration_minutes / ROW_MINUTES), 1),
                appointment=a,
            )
        )

    labels = [
        {"row": (m - top) // ROW_MINUTES + 2, "text": f"{m // 60:02d}:{m % 60:02d}"}
        for m in range(top, bottom, 60)
    ]
    now_line = None
    today_columns = [i for (_, d), i in column_of.items() if d == now.date()]
    if today_columns and top <= now_minutes < bottom:
        rows_down, within = divmod(now_minutes - top, ROW_MINUTES)
        now_line = {
            "columns": f"{min(today_columns)} / {max(today_columns) + 1}",
            "row": rows_down + 2,
            "offset": round(within / ROW_MINUTES, 2),
            "text": f"{now:%H:%M}",
        }
    return {
        "form": form,
        "view": view,
        "day": day,
        "days": days,
        "today": clinic_today(),
        "previous": (day - step).isoformat(),
        "next": (day + step).isoformat(),
        "providers": providers,
        "chosen": chosen,
        "columns": columns,
        "rows": rows,
        "blocks": blocks,
        "labels": labels,
        "now_line": now_line,
        "closed": closed,
        "booked": [a for a in appointments if a.status != AppointmentStatus.CANCELLED],
        "cancelled": cancelled,
    }


@login_required
def calendar(request):
    return render(request, "dashboard/appointments.html", _calendar(request))


@login_required
@requires("appointments.view_appointment")
def appointment_export(request):
    """The visits the calendar shows (its day or week, its provider), cancelled ones included,
    as CSV."""
    *_, days, chosen = _shown(request, selectors.providers())
    visits = services.appointment_list(
        start_date=days[0], end_date=days[-1], provider_id=chosen.pk if chosen else None
    )
    name = f"appointments-{days[0]}" + (f"-to-{days[-1]}" if len(days) > 1 else "")
    return csv_response(f"{name}.csv", APPOINTMENT_COLUMNS, visits.iterator(chunk_size=1000))


def _move_form(appointment, data=None) -> MoveVisitForm:
    """Moving a visit: the free times of its service and length on the chosen day."""
    local = appointment.appointment_date.astimezone(clinic_zone())
    params = {
        "service": appointment.service_id,
        "duration_minutes": appointment.duration_minutes,
        "date": (data or {}).get("date") or local.date().isoformat(),
        "provider": (data or {}).get("provider", ""),
    }
    times, note = offered_times(params)
    return MoveVisitForm(
        data,
        initial={"date": params["date"]},
        providers=selectors.providers(),
        times=times,
        times_note=note,
    )


def _detail_page(request, appointment, status: int = 200, **forms):
    now = timezone.now()
    context = {
        "appointment": appointment,
        "now": now,
        "movable": is_movable(appointment, now),
        "complete_form": forms.get("complete_form") or CompleteForm(),
        "cancel_form": forms.get("cancel_form") or CancelVisitForm(),
        "move_form": forms.get("move_form") or _move_form(appointment),
        "notes_form": forms.get("notes_form")
        or VisitNotesForm(initial={"notes": appointment.notes}),
    }
    return render(request, "dashboard/appointment.html", context, status=status)


@login_required
def appointment_detail(request, appointment_id: str):
    appointment = get_or_404(services.appointment_get, appointment_id=appointment_id)
    return _detail_page(request, appointment)


def _initial(request) -> dict:
    initial = {"date": clinic_today().isoformat()}
    for key in ("date", "time", "provider", "service"):
        if request.GET.get(key):
            initial[key] = request.GET[key]
    patient_id = request.GET.get("patient")
    if patient_id:
        try:
            patient = selectors.patient_get(patient_id=patient_id)
        except NotFound:
            patient = None
        if patient is not None:
            initial |= {"name": patient.name, "email": patient.email, "phone": patient.phone}
    return initial


@login_required
@requires("appointments.add_appointment")
def appointment_new(request):
    providers = selectors.providers()
    if request.method == "POST":
        times, note = offered_times(request.POST)
        form = AppointmentCreateForm(
            request.POST, providers=providers, times=times, times_note=note
        )
        if form.is_valid():
            data = form.cleaned_data
            try:
                appointment = services.appointment_create_manual(
                    actor=request.user,
                    service=data["service"],
                    appointment_date=form.appointment_start(),
                    name=data["name"],
                    email=data["email"] or None,
                    phone=data["phone"] or None,
                    preferred_channel=data["preferred_channel"] or None,
                    duration_minutes=data["duration_minutes"],
                    notes=data["notes"],
                    provider_id=data["provider"] or None,
                )
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                local = appointment.appointment_date.astimezone(clinic_zone())
                messages.success(
                    request,
                    f"Booked {appointment.service.name} for {appointment.patient.name} with "
                    f"{appointment.provider} on {local:%a %b} {local.day} at {local:%H:%M}.",
                )
                return redirect(
                    reverse("dashboard:appointments")
                    + "?"
                    + urlencode({"date": local.date().isoformat()})
                )
        status = 400
    else:
        initial = _initial(request)
        times, note = offered_times(initial)
        form = AppointmentCreateForm(
            initial=initial, providers=providers, times=times, times_note=note
        )
        status = 200
    return render(request, "dashboard/appointment_new.html", {"form": form}, status=status)


@login_required
@requires("appointments.change_appointment")
@require_POST
def appointment_complete(request, appointment_id: str):
    appointment = get_or_404(services.appointment_get, appointment_id=appointment_id)
    form = CompleteForm(request.POST)
    if not form.is_valid():
        return _detail_page(request, appointment, 400, complete_form=form)
    try:
        services.appointment_complete(
            actor=request.user,
            appointment_id=appointment.pk,
            next_follow_up_date=form.cleaned_data["next_follow_up_date"],
        )
    except ApplicationError as exc:
        form.add_error(None, exc.message)
        return _detail_page(request, appointment, 400, complete_form=form)
    messages.success(request, "Marked completed.")
    return redirect("dashboard:appointment", appointment.pk)


def _status_action(request, appointment_id: str, change, done: str):
    """One status button: the service's change, its refusal or `done` as a message, back to
    the visit."""
    appointment = get_or_404(services.appointment_get, appointment_id=appointment_id)
    try:
        change(actor=request.user, appointment_id=appointment.pk)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("dashboard:appointment", appointment.pk)


@login_required
@requires("appointments.change_appointment")
@require_POST
def appointment_cancel(request, appointment_id: str):
    """Cancel with a reason; the patient told (with a note) unless staff untick it."""
    appointment = get_or_404(services.appointment_get, appointment_id=appointment_id)
    form = CancelVisitForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.appointment_cancel(
                actor=request.user,
                appointment_id=appointment.pk,
                reason=data["reason"],
                notify=data["tell_patient"],
                note=data["note"],
            )
        except ApplicationError as exc:  # no longer cancellable: the page shows why
            messages.error(request, exc.message)
            return redirect("dashboard:appointment", appointment.pk)
        else:
            told = "the patient is told" if data["tell_patient"] else "the patient is not told"
            messages.success(request, f"Appointment cancelled; the time is free again and {told}.")
            return redirect("dashboard:appointment", appointment.pk)
    return _detail_page(request, appointment, 400, cancel_form=form)


@login_required
@requires("appointments.change_appointment")
@require_POST
def appointment_move(request, appointment_id: str):
    """Move to a free time staff pick; the patient is told (messaging.visits)."""
    appointment = get_or_404(services.appointment_get, appointment_id=appointment_id)
    form = _move_form(appointment, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            moved = services.appointment_reschedule(
                actor=request.user,
                appointment_id=appointment.pk,
                appointment_date=clinic_start(data["date"], data["time"]),
                by=ChangedBy.STAFF,
                provider_id=data["provider"] or None,
            )
        except ApplicationError as exc:
            if not is_movable(services.appointment_get(appointment_id=appointment.pk)):
                messages.error(request, exc.message)  # moved, cancelled or begun meanwhile
                return redirect("dashboard:appointment", appointment.pk)
            form.add_error(None, exc.message)
        else:
            local = moved.appointment_date.astimezone(clinic_zone())
            messages.success(
                request,
                f"Moved to {local:%a %b} {local.day} at {local:%H:%M} with {moved.provider}; "
                "the patient is told.",
            )
            return redirect("dashboard:appointment", moved.pk)
    return _detail_page(request, appointment, 400, move_form=form)


@login_required
@requires("appointments.change_appointment")
@require_POST
def appointment_confirm(request, appointment_id: str):
    return _status_action(
        request, appointment_id, services.appointment_confirm, "Marked confirmed."
    )


@login_required
@requires("appointments.change_appointment")
@require_POST
def appointment_no_show(request, appointment_id: str):
    return _status_action(
        request,
        appointment_id,
        services.appointment_no_show,
        "Marked a no-show; the patient is sent one message with a link to book again.",
    )


@login_required
@requires("appointments.change_appointment")
@require_POST
def appointment_notes(request, appointment_id: str):
    appointment = get_or_404(services.appointment_get, appointment_id=appointment_id)
    form = VisitNotesForm(request.POST)
    if form.is_valid():
        changed = services.appointment_notes_set(
            actor=request.user, appointment_id=appointment.pk, notes=form.cleaned_data["notes"]
        )
        messages.success(request, "Notes saved." if changed else "Nothing changed.")
        return redirect("dashboard:appointment", appointment.pk)
    return _detail_page(request, appointment, 400, notes_form=form)
