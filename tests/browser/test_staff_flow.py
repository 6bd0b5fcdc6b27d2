"""A front-desk morning in a real browser: log in, take a conversation from the handoff queue,
reply, hand it back to the AI; look around every main page (screenshots)."""

import re

from playwright.sync_api import expect

from campaigns.choices import CampaignStatus
from campaigns.models import Campaign, Interaction
from dentalai.models import User
from messaging.models import OutboxMessage
from tests.browser.conftest import DEMO_EMAIL, SCREENSHOTS, log_in

REPLY = "Hi, this is the front desk: Dr. Patel says it is safe. Shall we book you in?"


def test_log_in_reply_from_the_handoff_queue_and_hand_back_to_the_ai(demo, new_page, screenshot):
    page = new_page()
    page.goto(f"{demo.url}/handoffs/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/handoffs/"))
    screenshot(page, "01-login")
    page.get_by_label("Email").fill(DEMO_EMAIL)
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("Incorrect email or password.")

    log_in(page, demo.url)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Good to see you")
    screenshot(page, "02-home")
    # Each KPI explains itself on hover (and on keyboard focus).
    kpi = page.locator(".kpi").nth(1)
    definition = kpi.get_by_role("tooltip")
    expect(definition).to_be_hidden()
    kpi.hover()
    expect(definition).to_be_visible()
    expect(definition).to_contain_text("Appointments created in the period")
    page.screenshot(path=str(SCREENSHOTS / "02b-home-kpi-definition.png"))

    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name=re.compile("Handoffs")
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Handoff queue")
    screenshot(page, "03-handoff-queue")

    # Email or SMS: WhatsApp allows free text only within 24 hours of the patient's message.
    first = (
        page.locator("ol.queue > li")
        .filter(has=page.locator(".queue-head .muted", has_text=re.compile(r"· (Email|SMS)$")))
        .first
    )
    patient_name = first.locator("a.who").inner_text()
    first.get_by_role("link", name="Open the conversation →").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(patient_name)
    campaign_id = page.url.rstrip("/").rsplit("/", 1)[-1]
    campaign = Campaign.objects.get(pk=campaign_id)
    assert campaign.status == CampaignStatus.HANDOFF_REQUIRED
    screenshot(page, "04-campaign")

    page.get_by_label("Message").fill(REPLY)
    page.get_by_label("Then", exact=True).select_option("RE_ENGAGED")
    page.get_by_role("button", name="Send reply").click()

    expect(page.get_by_role("status").first).to_contain_text("Response sent successfully.")
    last = page.locator(".conversation > li").last
    expect(last).to_contain_text(REPLY)
    expect(last.locator(".sender")).to_have_text("Morgan Ellis (staff)")
    expect(last).to_contain_text("Sent")
    expect(page.locator("#campaign-status")).to_contain_text("With the AI")
    screenshot(page, "05-campaign-after-reply")

    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.RE_ENGAGED
    reply = Interaction.objects.get(campaign=campaign, content=REPLY)
    assert reply.author == User.objects.get(email=DEMO_EMAIL)
    assert reply.delivery_status == "sent"
    assert OutboxMessage.objects.filter(body=REPLY, interaction=reply).exists()

    page.get_by_role("link", name="Outbox").click()
    expect(page.locator("ol.outbox > li").first).to_contain_text(REPLY)
    screenshot(page, "06-outbox")

    # The campaign left the queue.
    page.get_by_role("link", name=re.compile("Handoffs")).first.click()
    expect(page.locator("ol.queue")).not_to_contain_text(patient_name)


def test_every_main_page_opens_for_staff(demo, new_page, screenshot):
    page = new_page()
    log_in(page, demo.url)
    pages = [
        ("Campaigns", "07-campaigns", "Campaigns"),
        ("Appointments", "08-appointments-day", "Appointments"),
        ("Patients", "10-patients", "Patients"),
        ("Knowledge base", "12-knowledge-base", "Knowledge base"),
    ]
    nav = page.get_by_role("navigation", name="Main")
    for link, name, heading in pages:
        nav.get_by_role("link", name=link, exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
        screenshot(page, name)

    nav.get_by_role("link", name="Appointments", exact=True).click()
    page.get_by_role("link", name="Week").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("week of")
    screenshot(page, "09-appointments-week")

    nav.get_by_role("link", name="Patients", exact=True).click()
    page.locator("#patient-results tbody tr a").first.click()
    expect(page.get_by_role("heading", name="Treatment history")).to_be_visible()
    screenshot(page, "11-patient")

    page.get_by_role("link", name="Book an appointment").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New appointment")
    screenshot(page, "13-new-appointment")

    # Live search with htmx: typing filters the campaign list in place.
    nav.get_by_role("link", name="Campaigns", exact=True).click()
    first_name = page.locator("#campaign-results tbody tr a").first.inner_text()
    page.get_by_label("Patient").fill(first_name)
    expect(page).to_have_url(re.compile(r"q="))
    expect(page.locator("#campaign-results tbody tr").first).to_contain_text(first_name)

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Staff login")).to_be_visible()
