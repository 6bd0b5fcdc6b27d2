"""Staff change a visit from its page (SPEC §8): move it to a free time they pick (the patient
told), cancel it with a reason and, if they choose, a note to the patient; the booking form
offers only free, future times inside working hours; the calendar draws every visit inside its
grid with its service, shades the past and marks now."""

import datetime as dt

import pytest

from appointments.choices import AppointmentStatus, ChangedBy
from appointments.services import appointment_create_manual
from campaigns.choices import MessageKind
from campaigns.models import Interaction
from dentalai.models import AuditEntry
from messaging.models import OutboxMessage
from messaging.visits import visit_confirmation_send
from tests.clinic_clock import at, clinic_clock_stopped_at
from tests.scheduler_fixtures import q_sync

__all__ = ["q_sync"]  # fixture, used by name

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("q_sync")]

# Monday 6 January 2031, 10:20 in New York; the clinic (conftest) works weekdays 09:00-17:00.
NOW = dt.datetime(2031, 1, 6, 15, 20, tzinfo=dt.UTC)
TODAY = dt.date(2031, 1, 6)
TUESDAY = dt.date(2031, 1, 7)


@pytest.fixture(autouse=True)
def frozen(settings):
    with clinic_clock_stopped_at(settings, NOW):
        yield


@pytest.fixture
def staff(client, manager):
    client.force_login(manager)
    return client


def visit(manager, clinic, start, service="cleaning", provider="hygienist", **fields):
    return appointment_create_manual(
        actor=manager,
        service=clinic[service],
        appointment_date=start,
        name=fields.pop("name", "Ann Lee"),
        email=fields.pop("email", "ann@example.com"),
        provider_id=clinic[provider].pk,
        **fields,
    )


def notices(kind: str) -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(interaction__kind=kind))


# --- The time picker ------------------------------------------------------------------------


def test_the_booking_form_offers_only_free_future_times_in_working_hours(staff, manager, clinic):
    visit(manager, clinic, at(TODAY, 13), provider="dentist")  # 13:00-14:00 taken

    page = staff.get(
        "/appointments/new/",
        {
            "date": TODAY.isoformat(),
            "provider": clinic["dentist"].pk,
            "service": clinic["cleaning"].pk,
        },
    )

    times = [value for value, _ in page.context["form"].fields["time"].widget.choices]
    assert times[0] == "10:30"  # now is 10:20: nothing earlier
    assert times[-1] == "16:00"  # a 60-minute cleaning ends by 17:00
    assert "13:00" not in times and "12:15" not in times and "14:00" in times
    assert 'value="10:30" selected' in page.text  # the first free time, not 09:00


def test_the_times_follow_the_provider_and_say_when_there_are_none(staff, clinic):
    saturday = {"service": clinic["cleaning"].pk, "date": "2031-01-11"}
    assert staff.get("/appointments/times/", saturday).json() == {
        "times": [],
        "note": "No free time that day for Cleaning with anyone who provides it.",
    }
    past = staff.get("/appointments/times/", saturday | {"date": "2031-01-03"}).json()
    assert past == {"times": [], "note": "That day has passed."}
    # Whitening (90 min) only with the dentist: the hygienist offers nothing for it.
    hygienist = staff.get(
        "/appointments/times/",
        {
            "service": clinic["whitening"].pk,
            "provider": clinic["hygienist"].pk,
            "date": TUESDAY.isoformat(),
        },
    ).json()
    assert hygienist["times"] == []
    dentist = staff.get(
        "/appointments/times/",
        {"service": clinic["whitening"].pk, "provider": clinic["dentist"].pk, "date": "2031-01-07"},
    ).json()["times"]
    assert dentist[0] == "09:00" and dentist[-1] == "15:30"


# --- Moving ---------------------------------------------------------------------------------


def test_staff_move_a_visit_to_a_free_time_and_the_patient_is_told(
    staff, manager, clinic, django_capture_on_commit_callbacks
):
    old = visit(manager, clinic, at(TUESDAY, 10))

    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(
            f"/appointments/{old.pk}/move/",
            {"date": "2031-01-08", "time": "14:15", "provider": clinic["dentist"].pk},
            follow=True,
        )

    old.refresh_from_db()
    new = old.rescheduled_to
    assert old.status == AppointmentStatus.CANCELLED and old.cancelled_by == ChangedBy.STAFF
    assert new.appointment_date == at(dt.date(2031, 1, 8), 14, 15)
    assert new.provider == clinic["dentist"] and new.status == AppointmentStatus.BOOKED
    assert "Moved to Wed Jan 8 at 14:15 with Dr Dana Park; the patient is told." in response.text
    (notice,) = notices(MessageKind.VISIT_MOVED)
    assert "January 8 at 2:15 PM" in notice.body


def test_a_move_onto_a_taken_or_past_time_changes_nothing(staff, manager, clinic):
    moving = visit(manager, clinic, at(TUESDAY, 10))
    visit(manager, clinic, at(TUESDAY, 14), provider="dentist", name="Bo", email="bo@example.com")

    taken = staff.post(
        f"/appointments/{moving.pk}/move/",
        {"date": TUESDAY.isoformat(), "time": "14:00", "provider": clinic["dentist"].pk},
    )
    past = staff.post(
        f"/appointments/{moving.pk}/move/", {"date": TODAY.isoformat(), "time": "09:00"}
    )
    odd = staff.post(
        f"/appointments/{moving.pk}/move/", {"date": TUESDAY.isoformat(), "time": "9am"}
    )

    assert taken.status_code == past.status_code == odd.status_code == 400
    assert "That time is no longer available" in taken.text
    assert "That time has already passed." in past.text
    assert "Choose one of the times offered" in odd.text
    moving.refresh_from_db()
    assert moving.status == AppointmentStatus.BOOKED and moving.appointment_date == at(TUESDAY, 10)
    assert not notices(MessageKind.VISIT_MOVED)


# --- Cancelling -----------------------------------------------------------------------------


def test_a_cancellation_keeps_its_reason_and_tells_the_patient_with_the_note(
    staff, manager, clinic, django_capture_on_commit_callbacks
):
    booked = visit(manager, clinic, at(TUESDAY, 10))

    with django_capture_on_commit_callbacks(execute=True):
        staff.post(
            f"/appointments/{booked.pk}/cancel/",
            {
                "reason": "Hygienist ill",
                "tell_patient": "on",
                "note": "We are sorry — call us to pick a new time.",
            },
        )

    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.CANCELLED
    assert booked.cancellation_reason == "Hygienist ill"
    (notice,) = notices(MessageKind.VISIT_CANCELLED)
    assert "is cancelled" in notice.body
    assert "time.\n\nWe are sorry — call us to pick a new time." in notice.body
    assert "Hygienist ill" not in notice.body  # the reason is for staff
    page = staff.get(f"/appointments/{booked.pk}/").text
    assert "Hygienist ill" in page


def test_staff_may_cancel_without_telling_the_patient(
    staff, manager, clinic, django_capture_on_commit_callbacks
):
    booked = visit(manager, clinic, at(TUESDAY, 10))
    visit_confirmation_send(booked.pk)  # they were told of the booking

    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(
            f"/appointments/{booked.pk}/cancel/",
            {"reason": "Patient called to cancel"},
            follow=True,
        )

    assert "the patient is not told" in response.text
    assert not notices(MessageKind.VISIT_CANCELLED)
    assert not Interaction.objects.filter(kind=MessageKind.VISIT_CANCELLED).exists()


def test_a_cancellation_needs_a_reason_and_a_short_note(staff, manager, clinic):
    booked = visit(manager, clinic, at(TUESDAY, 10))

    no_reason = staff.post(f"/appointments/{booked.pk}/cancel/", {"reason": " "})
    long_note = staff.post(
        f"/appointments/{booked.pk}/cancel/",
        {"reason": "Ill", "tell_patient": "on", "note": "x" * 501},
    )

    assert no_reason.status_code == long_note.status_code == 400
    assert "Say why the visit is cancelled" in no_reason.text
    assert "at most 500 characters" in long_note.text
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.BOOKED


def test_destructive_buttons_ask_first(staff, manager, clinic):
    booked = visit(manager, clinic, at(TUESDAY, 10))

    page = staff.get(f"/appointments/{booked.pk}/").text

    assert 'data-confirm="Cancel Ann Lee\'s Cleaning on Tue Jan 7 at 10:00?"' in page


# --- The calendar grid ----------------------------------------------------------------------


def test_the_day_grid_holds_every_visit_with_its_service_now_and_the_past(staff, manager, clinic):
    late = visit(manager, clinic, at(TODAY, 16), provider="dentist")  # ends 17:00, the grid's end
    short = visit(
        manager,
        clinic,
        at(TODAY, 11),
        service="cleaning",
        duration_minutes=45,
        name="Bo",
        email="bo@example.com",
    )

    response = staff.get("/appointments/", {"date": TODAY.isoformat()})

    blocks = response.context["blocks"]
    rows = response.context["rows"]
    for appointment in (late, short):
        (block,) = [b for b in blocks if b.appointment and b.appointment.pk == appointment.pk]
        assert block.row + block.span <= rows + 2  # inside the grid (row 1 is the heading)
    assert '<span class="s">Cleaning</span>' in response.text  # the 45-minute one keeps it
    now_line = response.context["now_line"]
    assert now_line["text"] == "10:20" and now_line["offset"] == round(5 / 15, 2)
    past = [b for b in blocks if b.past]
    assert past and all(b.row == 2 for b in past)
    opens = [b for b in blocks if b.book_url]
    assert opens and all("time=10%3A30" in b.book_url for b in opens)  # booking starts after now
    assert 'class="now-line"' in response.text


def test_staff_keep_notes_on_a_visit_audited_and_never_sent(staff, manager, clinic):
    booked = visit(manager, clinic, at(TUESDAY, 10))

    saved = staff.post(
        f"/appointments/{booked.pk}/notes/",
        {"notes": "  Needs the wheelchair ramp.  "},
        follow=True,
    )
    same = staff.post(
        f"/appointments/{booked.pk}/notes/", {"notes": "Needs the wheelchair ramp."}, follow=True
    )
    too_long = staff.post(f"/appointments/{booked.pk}/notes/", {"notes": "x" * 2001})

    assert "Notes saved." in saved.text and "Nothing changed." in same.text
    assert too_long.status_code == 400
    booked.refresh_from_db()
    assert booked.notes == "Needs the wheelchair ramp."
    assert AuditEntry.objects.filter(action="appointment_notes", actor=manager).count() == 1
    assert not OutboxMessage.objects.filter(body__contains="wheelchair").exists()
