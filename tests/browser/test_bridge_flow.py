"""The practice-management bridge in a real browser: the manager imports an Open Dental export
(upload, correct a column, preview, import, the job's report), then makes a calendar address
for the clinic and revokes it."""

import re
from pathlib import Path

from django.test import Client
from playwright.sync_api import expect

from appointments.models import CalendarFeed
from patients.models import Patient, PatientImport
from tests.browser.conftest import log_in
from tests.scheduler_fixtures import q_sync

__all__ = ["q_sync"]  # fixture, used by name

EXPORT = Path(__file__).resolve().parents[1] / "data" / "imports" / "opendental_patients.csv"


def test_the_manager_imports_an_export_and_reads_its_report(
    demo, new_page, screenshot, q_sync, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    before = Patient.objects.count()
    page = new_page()
    log_in(page, demo.url)
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Patients", exact=True
    ).click()
    page.get_by_role("link", name="Import from your PMS").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import patients")
    page.get_by_label("Export file").set_input_files(str(EXPORT))
    page.get_by_role("button", name="Upload and check the columns").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Check the columns")
    expect(page.get_by_label("WirelessPhone")).to_have_value("phone")
    expect(page.locator("table")).to_contain_text("+12125550143")
    screenshot(page, "20-import-columns")
    # Staff leave the recall type out and look again: the preview follows.
    page.get_by_label("RecallType").select_option("")
    page.get_by_role("button", name="Update the preview").click()
    expect(page.get_by_label("RecallType")).to_have_value("")
    expect(page.locator("table")).not_to_contain_text("· Prophy")

    page.get_by_role("button", name="Import the whole file").click()
    expect(page.get_by_role("heading", level=2, name="Done")).to_be_visible()
    expect(page.locator("dl.facts")).to_contain_text("New patients")
    expect(page.get_by_role("table")).to_contain_text("The row has no name.")
    screenshot(page, "21-import-report")
    assert Patient.objects.count() == before + 7
    assert PatientImport.objects.get().status == "DONE"
    assert Patient.objects.get(external_id="1001").next_recommended_follow_up == ""


def test_the_manager_makes_a_calendar_address_and_revokes_it(demo, new_page, screenshot):
    page = new_page()
    log_in(page, demo.url)
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Appointments", exact=True
    ).click()
    page.get_by_role("link", name="In your calendar app").click()
    page.get_by_role("button", name="Make the address").click()

    address = page.get_by_label("Calendar address")
    expect(address).to_have_value(re.compile(r"/calendar/.+\.ics$"))
    screenshot(page, "22-calendar-feeds")
    path = "/calendar/" + address.input_value().split("/calendar/", 1)[1]
    assert Client().get(path).status_code == 200

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Revoke").click()
    expect(page.get_by_role("status").first).to_contain_text("revoked")
    assert Client().get(path).status_code == 404
    assert CalendarFeed.objects.get().revoked_at is not None
