"""Booking from the AI's signed link in a real browser, on a phone-sized screen: the booking shows
on the staff calendar and moves the campaign; a second patient who chose the same time meanwhile
is told it was just taken; a new patient books without a link."""

import re
from datetime import date

from playwright.sync_api import expect

from appointments.availability import month_availability
from appointments.booking_links import booking_token_make
from appointments.models import Appointment, Service
from campaigns.choices import CampaignStatus
from campaigns.models import Campaign
from dentalai.clinic_time import clinic_zone
from patients.models import Patient
from tests.browser.conftest import log_in

SERVICE = "implant_consultation"  # one provider: a taken time is gone for everyone


def _first_free_day(service: Service) -> tuple[date, str]:
    today = date.today()
    for ahead in range(3):
        index = today.year * 12 + today.month - 1 + ahead
        free = month_availability(service, year=index // 12, month=index % 12 + 1)
        if free:
            day = min(free)
            return date.fromisoformat(day), free[day][0]
    raise AssertionError("the demo clinic offers no time in three months")


def _re_engaged_campaigns(count: int) -> list[Campaign]:
    campaigns = list(
        Campaign.objects.filter(status=CampaignStatus.RE_ENGAGED, patient__opted_out_at=None)
        .select_related("patient")
        .order_by("pk")[:count]
    )
    assert len(campaigns) == count
    return campaigns


def _open_month(page, service_name: str, day: date):
    page.get_by_role("link", name=re.compile(re.escape(service_name))).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(service_name)
    # Move to the month of the day when it is not this one.
    for _ in range(3):
        if page.locator("#month-title").inner_text() == day.strftime("%B %Y"):
            break
        page.get_by_role("link", name="Next month").click()
        expect(page.locator("#month-title")).to_have_text(re.compile(r"\w+ \d{4}"))
    expect(page.locator("#month-title")).to_have_text(day.strftime("%B %Y"))


def test_book_from_the_signed_link_then_a_second_booking_of_that_time_is_refused(
    demo, new_page, screenshot
):
    service = Service.objects.get(slug=SERVICE)
    day, first_time = _first_free_day(service)
    mine, theirs = _re_engaged_campaigns(2)

    patient_page = new_page(mobile=True)
    patient_page.goto(f"{demo.url}/book/?t={booking_token_make(mine)}")
    expect(patient_page.get_by_role("heading", level=1)).to_contain_text(
        f"Hi {mine.patient.first_name}"
    )
    # No patient data but the first name.
    content = patient_page.content()
    assert mine.patient.name not in content or mine.patient.name == mine.patient.first_name
    for secret in (mine.patient.email, mine.patient.phone):
        assert not secret or secret not in content
    screenshot(patient_page, "20-book-service")

    _open_month(patient_page, service.name, day)
    screenshot(patient_page, "21-book-month")
    day_label = f"{day:%A, %B} {day.day}:"  # "Monday, November 2:", not "... 23:"
    patient_page.get_by_role("link", name=re.compile("^" + re.escape(day_label))).click()
    expect(patient_page.locator("#times-title")).to_contain_text(day.strftime("%B ") + str(day.day))
    screenshot(patient_page, "22-book-times")
    detail_url = f"{demo.url}/book/{SERVICE}/{day.isoformat()}/{first_time}/"

    # Meanwhile another patient, from their own link, picks the same time.
    other_page = new_page(mobile=True)
    other_page.goto(f"{detail_url}?t={booking_token_make(theirs)}")
    expect(other_page.get_by_role("button", name="Book this time")).to_be_visible()

    patient_page.locator(".time-grid a").first.click()
    expect(patient_page.get_by_role("heading", level=1)).to_have_text("Confirm your visit")
    expect(
        patient_page.get_by_text(f"You are booking as {mine.patient.first_name}")
    ).to_be_visible()
    screenshot(patient_page, "23-book-details")
    patient_page.get_by_role("button", name="Book this time").click()
    expect(patient_page.get_by_role("heading", level=1)).to_contain_text("You're booked")
    screenshot(patient_page, "24-book-confirmed")

    appointment = Appointment.objects.select_related("provider").get(campaign=mine)
    assert appointment.patient_id == mine.patient_id
    assert appointment.appointment_date.astimezone(clinic_zone()).strftime("%H:%M") == first_time
    mine.refresh_from_db()
    assert mine.status == CampaignStatus.BOOKING_INITIATED
    assert mine.booking_status == "FORM_SUBMITTED"

    other_page.get_by_role("button", name="Book this time").click()
    expect(other_page.get_by_role("alert")).to_contain_text("that time was just taken")
    expect(other_page.locator("#times-title")).to_be_visible()
    screenshot(other_page, "25-book-slot-taken")
    assert not Appointment.objects.filter(campaign=theirs).exists()
    theirs.refresh_from_db()
    assert theirs.status == CampaignStatus.RE_ENGAGED

    staff_page = new_page()
    log_in(staff_page, demo.url)
    staff_page.goto(
        f"{demo.url}/appointments/?date={day.isoformat()}&provider={appointment.provider_id}"
    )
    block = staff_page.locator(f'a.appt[href="/appointments/{appointment.pk}/"]')
    expect(block).to_contain_text(mine.patient.name)
    expect(block).to_contain_text(first_time)
    screenshot(staff_page, "26-calendar-with-booking")


def test_a_new_patient_books_without_a_link(demo, new_page, screenshot):
    service = Service.objects.get(slug=SERVICE)
    day, first_time = _first_free_day(service)
    page = new_page(mobile=True)
    page.goto(f"{demo.url}/book/{SERVICE}/{day.isoformat()}/{first_time}/")
    expect(page.get_by_text("New to us? Welcome")).to_be_visible()

    page.get_by_role("button", name="Book this time").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter your name.")
    expect(page.get_by_role("alert")).to_contain_text("Enter the email or the phone number")

    page.get_by_label("Your name").fill("Nadia Newcomer")
    page.get_by_label("Email").fill("nadia.newcomer@example.com")
    page.get_by_role("button", name="Book this time").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("You're booked, Nadia")
    screenshot(page, "27-new-patient-booked")

    patient = Patient.objects.get(email="nadia.newcomer@example.com")
    assert (patient.name, patient.patient_type) == ("Nadia Newcomer", "NEW")
    appointment = Appointment.objects.get(patient=patient)
    assert (appointment.status, appointment.created_from) == ("booked", "BOOKING_PAGE")
    assert appointment.appointment_date.astimezone(clinic_zone()).strftime("%H:%M") == first_time
