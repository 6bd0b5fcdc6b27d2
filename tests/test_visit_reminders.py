"""Visit reminders (SPEC §10): at each REMINDER_OFFSETS offset, inside the legal 08:00-21:00 of
clinic time (moved earlier when they would fall outside), once per visit and offset even when
two runs overlap, never for a cancelled or moved visit or an opted-out patient."""

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from appointments.reminders import reminder_due_at, reminder_key
from campaigns.choices import DeliveryStatus, Direction, MessageKind
from campaigns.models import Interaction
from dentalai.choices import Channel
from messaging.conversation import NotNow, message_send
from messaging.models import OutboxMessage
from messaging.visits import visit_reminders_send
from patients.optout import patient_opt_out
from tests.concurrency import after_query, run_together
from tests.test_api_appointments import LIST, book, frozen, local, paula

__all__ = ["frozen", "paula"]  # fixtures, used by name

H = dt.timedelta(hours=1)


@pytest.fixture(autouse=True)
def offsets(settings):
    settings.REMINDER_OFFSETS = (48 * H, 2 * H)


@pytest.fixture
def visit(manager, clinic, paula):
    return book(manager, clinic, paula, "2025-08-20 09:00")  # a Wednesday


def reminders() -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(body__contains="a reminder").order_by("created_at"))


@pytest.mark.parametrize(
    ("start", "offset", "goes"),
    [
        ("2025-08-20 09:00", 48 * H, "2025-08-18 09:00"),
        ("2025-08-20 15:00", 2 * H, "2025-08-20 13:00"),
        # 07:00 is before the legal hours: the evening before.
        ("2025-08-20 09:00", 2 * H, "2025-08-19 20:00"),
        # 22:30 is after them: that evening, earlier.
        ("2025-08-22 09:00", dt.timedelta(hours=34, minutes=30), "2025-08-20 20:00"),
        # Across the fall-back change, built from the clinic's wall clock.
        ("2025-11-03 08:30", 2 * H, "2025-11-02 20:00"),
    ],
)
def test_a_reminder_goes_inside_the_legal_hours(start, offset, goes):
    assert reminder_due_at(local(start), offset) == local(goes).astimezone(dt.UTC)


def test_each_reminder_goes_once_at_its_offset(visit):
    assert visit_reminders_send(local("2025-08-18 08:59"))["sent"] == 0
    assert visit_reminders_send(local("2025-08-18 09:05"))["sent"] == 1
    assert visit_reminders_send(local("2025-08-18 09:15"))["sent"] == 0  # not twice
    assert visit_reminders_send(local("2025-08-19 19:55"))["sent"] == 0
    assert visit_reminders_send(local("2025-08-19 20:05"))["sent"] == 1  # the 2-hour one, moved

    first, second = reminders()
    assert "a reminder of your Cleaning" in first.body
    assert "Wednesday, August 20 at 9:00 AM with Dr Dana Park" in first.body
    assert "Reply C to confirm. To move or cancel it: http" in first.body
    assert second.body == first.body
    keys = Interaction.objects.filter(kind=MessageKind.REMINDER).values_list(
        "idempotency_key", flat=True
    )
    assert sorted(keys) == [f"reminder:{visit.pk}:120m", f"reminder:{visit.pk}:2880m"]


def test_a_reminder_whose_time_passed_unsent_is_superseded_not_sent_late(visit):
    # The worker was down from before the 48-hour reminder until after the 2-hour one's time.
    assert visit_reminders_send(local("2025-08-20 08:00"))["sent"] == 1
    (only,) = Interaction.objects.filter(kind=MessageKind.REMINDER)
    assert only.idempotency_key.endswith(":120m")


def test_a_visit_booked_inside_an_offset_gets_only_the_later_reminders(manager, clinic, paula):
    # Booked on Friday 08:00 (NOW) for Monday 09:00: its 48-hour reminder is after booking.
    visit = book(manager, clinic, paula, "2025-08-04 09:00")
    assert visit_reminders_send(local("2025-08-02 09:05"))["sent"] == 1  # 48 h: after booking
    short = book(manager, clinic, paula, "2025-08-01 15:00")  # booked 7 hours before
    assert visit_reminders_send(local("2025-08-01 13:05"))["sent"] == 1  # only the 2-hour one
    assert Interaction.objects.filter(appointment=short, kind=MessageKind.REMINDER).count() == 1
    assert Interaction.objects.filter(appointment=visit, kind=MessageKind.REMINDER).count() == 1


def test_no_reminder_for_a_cancelled_visit(api, visit):
    assert api.post(f"{LIST}/{visit.pk}/cancel").status_code == 200
    assert visit_reminders_send(local("2025-08-18 09:05"))["sent"] == 0
    assert reminders() == []


def test_no_reminder_once_the_patient_opted_out(visit, paula):
    patient_opt_out(patient=paula)

    counts = visit_reminders_send(local("2025-08-18 09:05"))

    assert counts == {"sent": 0, "skipped": 1}
    assert reminders() == []


def test_two_runs_that_overlap_send_each_reminder_once(visit):
    # The second run starts just after the first has checked that no reminder went yet.
    def checked_key(sql: str) -> bool:
        return "idempotency_key" in sql and "SELECT" in sql.upper()

    second = []
    with after_query(
        checked_key, lambda: second.append(visit_reminders_send(local("2025-08-18 09:05")))
    ) as race:
        visit_reminders_send(local("2025-08-18 09:05"))

    assert race.fired
    assert len(reminders()) == 1
    assert Interaction.objects.filter(kind=MessageKind.REMINDER).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_runs_on_postgresql_send_each_reminder_once(manager, clinic, paula):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the interleaving test above covers it")
    for day in ("2025-08-20", "2025-08-21"):
        for hour in (9, 10, 11):
            book(manager, clinic, paula, f"{day} {hour:02d}:00")
    errors = run_together(lambda: visit_reminders_send(local("2025-08-19 10:00")))

    assert errors == []
    # The 20th's three 48-hour reminders and the 21st's 09:00 and 10:00 ones, each once.
    assert Interaction.objects.filter(kind=MessageKind.REMINDER).count() == 5


def test_the_command_sends_what_is_due_at_the_moment_given(visit):
    out = StringIO()
    call_command("send_reminders", "--now", "2025-08-18T13:05:00Z", stdout=out)
    assert out.getvalue().strip() == "sent=1 skipped=0"

    with pytest.raises(CommandError, match="time zone"):
        call_command("send_reminders", "--now", "2025-08-18T13:05:00")


def test_the_sending_door_holds_a_reminder_to_the_legal_hours(visit, paula):
    with (
        time_machine.travel(local("2025-08-19 06:30"), tick=False),
        pytest.raises(NotNow) as refused,
    ):
        message_send(paula, MessageKind.REMINDER, "A reminder.", appointment=visit)
    assert refused.value.until == local("2025-08-19 08:00").astimezone(dt.UTC)
    assert not Interaction.objects.filter(kind=MessageKind.REMINDER).exists()


def test_a_reminder_cut_short_by_a_crash_is_sent_by_the_next_run(visit, paula):
    # Recorded, then the worker died before the provider answered (messaging.conversation).
    stalled = Interaction.objects.create(
        patient=paula,
        appointment=visit,
        direction=Direction.OUTGOING,
        kind=MessageKind.REMINDER,
        channel_type=Channel.EMAIL,
        content="A reminder of your visit.",
        delivery_status=DeliveryStatus.QUEUED,
        idempotency_key=reminder_key(visit, 48 * H),
        timestamp=local("2025-08-01 07:00"),
    )

    counts = visit_reminders_send(local("2025-08-18 09:05"))

    assert counts == {"sent": 0, "skipped": 0}  # not a new reminder
    stalled.refresh_from_db()
    assert stalled.delivery_status == DeliveryStatus.SENT
    assert OutboxMessage.objects.filter(interaction=stalled).count() == 1
