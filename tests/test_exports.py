"""CSV exports of the lists (SPEC §11): what a spreadsheet opens is what was stored, with the
list's filters applied, and a cell that would run as a formula stays text."""

import csv
import datetime as dt
import io

import pytest
from django.test import Client

from appointments.choices import AppointmentStatus, CreatedFrom
from appointments.models import Appointment
from campaigns.choices import CampaignStatus as S
from campaigns.choices import CampaignType, DeliveryStatus, Direction
from campaigns.models import Campaign, Interaction
from dentalai.choices import Channel
from dentalai.exports import BOM, cell
from patients.models import Patient
from patients.optout import patient_opt_out
from tests.conftest import bearer

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 20, 15, 30, tzinfo=dt.UTC)


@pytest.fixture
def dashboard(client, manager):
    client.force_login(manager)
    return client


def read(response) -> list[dict]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith(BOM)
    return list(csv.DictReader(io.StringIO(body.removeprefix(BOM))))


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1 555", "'+1 555"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("José Núñez", "José Núñez"),
        (-12, "-12"),
        (dt.date(2027, 1, 5), "2027-01-05"),
        (NOW, "2026-11-20T10:30-05:00"),  # clinic time, New York
        (True, "yes"),
        (None, ""),
    ],
)
def test_a_cell_is_written_as_a_spreadsheet_should_read_it(value, written):
    assert cell(value) == written


def test_the_patient_list_exports_what_is_stored_with_its_search_applied(dashboard):
    ana = Patient.objects.create(
        name="=cmd|' /C calc'!A0",
        email="ana@example.com",
        phone="+12125550143",
        external_id="1001",
        next_follow_up_date=dt.date(2027, 1, 15),
        texts_allowed=False,
    )
    patient_opt_out(patient=ana)
    Patient.objects.create(name="Bruno Díaz", email="bruno@example.com")

    response = dashboard.get("/patients/export.csv", {"q": "ana@"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="patients.csv"'
    (row,) = read(response)
    ana.refresh_from_db()
    assert row["Name"] == "'" + ana.name  # opens as text, not as a command
    # A "+" starts a formula too: the apostrophe also keeps the phone's "+" (a spreadsheet
    # shows it, not the apostrophe; unquoted it would read +1212… as a number).
    assert (row["Email"], row["Phone"], row["PMS id"]) == (ana.email, "'" + ana.phone, "1001")
    assert (row["Texts allowed"], row["Opted out"], row["Recall due"]) == (
        "no",
        "yes",
        "2027-01-15",
    )
    assert dt.datetime.fromisoformat(row["Opted out at"]) == ana.opted_out_at.replace(
        second=0, microsecond=0
    )
    everyone = read(dashboard.get("/patients/export.csv"))
    assert [r["Name"] for r in everyone] == ["'" + ana.name, "Bruno Díaz"]


def test_the_campaign_list_exports_with_its_filters(dashboard):
    waiting = Campaign.objects.create(
        patient=Patient.objects.create(name="Carla Reyes", email="carla@example.com"),
        campaign_type=CampaignType.RECALL,
        status=S.HANDOFF_REQUIRED,
        channel_type=Channel.EMAIL,
        handoff_reason="pain_or_emergency",
        recall_due_date=dt.date(2026, 12, 1),
    )
    Campaign.objects.create(
        patient=Patient.objects.create(name="Dan Ode", phone="+12125550199"),
        campaign_type=CampaignType.RECOVERY,
        status=S.RECOVERED,
        channel_type=Channel.SMS,
    )

    rows = read(dashboard.get("/campaigns/export.csv", {"status": S.HANDOFF_REQUIRED}))

    assert [(r["Campaign id"], r["Patient"], r["Type"], r["Status"]) for r in rows] == [
        (waiting.pk, "Carla Reyes", "Recall", S.HANDOFF_REQUIRED.label)
    ]
    assert rows[0]["Handoff reason"] == "Pain or a possible emergency"
    assert rows[0]["Recall due"] == "2026-12-01"
    assert len(read(dashboard.get("/campaigns/export.csv"))) == 2


def test_a_campaigns_conversation_exports_oldest_first(dashboard, manager):
    campaign = Campaign.objects.create(
        patient=Patient.objects.create(name="Eve Stone", email="eve@example.com"),
        campaign_type=CampaignType.RECOVERY,
        status=S.RE_ENGAGED,
        channel_type=Channel.EMAIL,
    )
    for minutes, direction, text, author in [
        (0, Direction.OUTGOING, "Hi Eve, time for a check-up?", None),
        (5, Direction.INCOMING, "-maybe next week", None),
        (9, Direction.OUTGOING, "Tuesday at 10?", manager),
    ]:
        Interaction.objects.create(
            patient=campaign.patient,
            campaign=campaign,
            direction=direction,
            content=text,
            channel_type=Channel.EMAIL,
            delivery_status=DeliveryStatus.SENT,
            author=author,
            timestamp=NOW + dt.timedelta(minutes=minutes),
        )

    response = dashboard.get(f"/campaigns/{campaign.pk}/conversation.csv")

    rows = read(response)
    assert [(r["From"], r["Staff member"], r["Message"]) for r in rows] == [
        ("ai", "", "Hi Eve, time for a check-up?"),
        ("patient", "", "'-maybe next week"),
        ("staff", manager.name, "Tuesday at 10?"),
    ]
    assert rows[0]["Time"] == "2026-11-20T10:30-05:00"
    assert dashboard.get("/campaigns/ffffffffffffffffffffffff/conversation.csv").status_code == 404


def test_the_exports_need_a_signed_in_member_of_staff(client):
    response = client.get("/patients/export.csv")

    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize(
    ("query", "headers"),
    [({"format": "csv"}, {}), ({}, {"Accept": "text/csv"})],
)
def test_the_api_campaign_list_answers_csv_when_asked(manager, query, headers):
    Campaign.objects.create(
        patient=Patient.objects.create(name="Fay Lin", email="fay@example.com"),
        campaign_type=CampaignType.RECOVERY,
        status=S.ATTEMPTING_RECOVERY,
        channel_type=Channel.EMAIL,
    )
    api = Client(headers={**bearer(manager), **headers})

    response = api.get("/api/v1/admin/campaigns", query)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert [r["Patient"] for r in read(response)] == ["Fay Lin"]
    assert api.get("/api/v1/admin/campaigns", {"format": "xml"}).status_code == 422


def _visit(clinic, patient, start, **fields):
    return Appointment.objects.create(
        patient=patient,
        service=clinic["cleaning"],
        provider=fields.pop("provider", clinic["dentist"]),
        appointment_date=start,
        duration_minutes=60,
        created_from=CreatedFrom.MANUAL_ADMIN,
        **fields,
    )


def test_the_calendars_day_exports_its_visits_cancelled_ones_included(dashboard, clinic):
    gia = Patient.objects.create(name="Gia Moss", email="gia@example.com", external_id="77")
    tuesday = dt.datetime(2025, 8, 19, 13, 0, tzinfo=dt.UTC)  # 09:00 in New York
    booked = _visit(clinic, gia, tuesday)
    cancelled = _visit(
        clinic,
        gia,
        tuesday + dt.timedelta(hours=3),
        provider=clinic["hygienist"],
        status=AppointmentStatus.CANCELLED,
        cancellation_reason="Sick",
    )
    _visit(clinic, gia, tuesday + dt.timedelta(days=1))  # Wednesday: another day

    response = dashboard.get("/appointments/export.csv", {"date": "2025-08-19"})

    assert response["Content-Disposition"] == 'attachment; filename="appointments-2025-08-19.csv"'
    rows = read(response)
    assert [(r["Appointment id"], r["Start"], r["Provider"], r["Status"]) for r in rows] == [
        (booked.pk, "2025-08-19T09:00-04:00", "Dr Dana Park", "Booked"),
        (cancelled.pk, "2025-08-19T12:00-04:00", "Hugo Hygienist", "Cancelled"),
    ]
    assert (rows[1]["Cancellation reason"], rows[0]["PMS id"]) == ("Sick", "77")
    one_provider = {"date": "2025-08-19", "provider": clinic["hygienist"].pk}
    assert [
        r["Appointment id"] for r in read(dashboard.get("/appointments/export.csv", one_provider))
    ] == [cancelled.pk]
    week = {"date": "2025-08-19", "view": "week", "provider": clinic["dentist"].pk}
    assert len(read(dashboard.get("/appointments/export.csv", week))) == 2


def test_the_api_appointment_list_answers_csv(manager, clinic):
    visit = _visit(
        clinic,
        Patient.objects.create(name="Hal Berg", phone="+12125550111"),
        dt.datetime(2025, 8, 19, 13, 0, tzinfo=dt.UTC),
    )
    api = Client(headers=bearer(manager))

    response = api.get("/api/v1/admin/appointments", {"format": "csv", "start_date": "2025-08-19"})

    assert response.status_code == 200
    (row,) = read(response)
    assert (row["Appointment id"], row["Patient"], row["Phone"]) == (
        visit.pk,
        "Hal Berg",
        "'+12125550111",
    )
