"""The words of the demo clinic: staff, services, schedules, patients' names, what patients
write and what staff answer, and the knowledge base the agent answers from.

Texts may use {clinic}, {address}, {phone} and {emergency_phone}; nothing here is read from
outside the product."""

import datetime as dt

from dentalai.choices import Role

CLINIC_PHONE = "(518) 555-0136"
CLINIC_EMERGENCY_PHONE = "(518) 555-0137"

# --- Staff -------------------------------------------------------------------------------------

# (key, email, name, role)
STAFF = [
    ("manager", "manager@demo.clinic", "Morgan Ellis", Role.OFFICE_MANAGER),
    ("front_desk", "frontdesk@demo.clinic", "Jordan Lee", Role.FRONT_DESK),
    ("patel", "maya.patel@demo.clinic", "Dr. Maya Patel", Role.DENTIST),
    ("okafor", "samuel.okafor@demo.clinic", "Dr. Samuel Okafor", Role.DENTIST),
    ("alvarez", "jenna.alvarez@demo.clinic", "Jenna Alvarez", Role.HYGIENIST),
    ("nguyen", "chris.nguyen@demo.clinic", "Chris Nguyen", Role.HYGIENIST),
]
PROVIDERS = ("patel", "okafor", "alvarez", "nguyen")


def _t(text: str) -> dt.time:
    return dt.time.fromisoformat(text)


def _blocks(*pairs: str) -> list[tuple[dt.time, dt.time]]:
    return [(_t(a), _t(b)) for a, b in (p.split("-") for p in pairs)]


# Weekly hours in clinic local time, weekday 0 = Monday. Two blocks on a day = a lunch break.
# Their union is what the "Opening hours" article says.
SCHEDULES: dict[str, dict[int, list[tuple[dt.time, dt.time]]]] = {
    "patel": {
        **{day: _blocks("08:00-12:00", "13:00-17:00") for day in (0, 1, 2, 3)},
        4: _blocks("08:00-13:00"),
    },
    "okafor": {
        **{day: _blocks("09:00-12:30", "13:30-18:00") for day in (1, 2, 3, 4)},
        5: _blocks("08:00-12:00"),
    },
    "alvarez": {
        **{day: _blocks("08:00-16:30") for day in (0, 1, 2)},
        3: _blocks("10:00-18:00"),
        5: _blocks("08:00-12:00"),
    },
    "nguyen": {
        0: _blocks("12:00-19:00"),
        **{day: _blocks("08:00-12:00", "12:45-16:00") for day in (2, 3, 4)},
    },
}

# (provider, first day from today, last day from today, local start, local end, reason);
# None times = whole days.
TIME_OFF = [
    ("patel", 12, 14, None, None, "Continuing-education course"),
    ("okafor", 6, 6, _t("13:00"), _t("18:00"), "Afternoon off: school event"),
    ("nguyen", 19, 19, None, None, "Personal day"),
    ("alvarez", 26, 33, None, None, "Vacation"),
]

# --- Services ----------------------------------------------------------------------------------

# (slug, name, minutes, providers)
SERVICES = [
    ("cleaning", "Cleaning & Checkup", 60, ("alvarez", "nguyen", "okafor")),
    ("comprehensive_exam", "Comprehensive Exam", 45, ("patel", "okafor")),
    ("teeth_whitening", "Teeth Whitening", 90, ("patel", "alvarez")),
    ("tooth_filling", "Tooth-Colored Filling", 60, ("patel", "okafor")),
    ("porcelain_crown", "Porcelain Crown", 90, ("patel", "okafor")),
    ("implant_consultation", "Implant Consultation", 30, ("patel",)),
]

# --- Patients ----------------------------------------------------------------------------------

FIRST_NAMES = """
Aaliyah Aaron Abigail Adrian Aisha Alejandro Alice Amara Andre Angela Anthony Ava Benjamin
Bianca Brandon Brianna Caleb Camila Carlos Caroline Chloe Christopher Daniel Danielle David
Deborah Diego Dominic Eleanor Elena Elijah Emily Emma Eric Esther Ethan Evelyn Fatima Gabriel
Grace Hannah Harper Hector Imani Isaac Isabella Jacob Jamal Jasmine Javier Jessica Jonathan
Joseph Julia Kayla Kenji Kevin Laura Leah Liam Lucas Lucy Malik Maria Marcus Mei Mia Michael
Naomi Nathan Nicole Noah Olivia Omar Patrick Priya Rachel Rafael Rebecca Ryan Samantha Sofia
Stephanie Tariq Thomas Valeria Victoria William Xavier Yusuf Zoe
""".split()

LAST_NAMES = """
Abbott Adeyemi Alvarado Anderson Bailey Banerjee Barnes Bell Brennan Brooks Campbell Castillo
Chen Collins Cooper Cruz Dawson Delgado Diaz Edwards Evans Fischer Flores Foster Garcia Gomez
Gupta Hall Hamilton Harris Hayes Hernandez Holloway Hughes Ibrahim Jackson Jensen Johnson Kaur
Kelly Kim Kowalski Lambert Larsen Lopez Mahoney Martin Martinez Mendoza Miller Mitchell Moreno
Murphy Nakamura Novak Obi O'Brien Ortiz Owens Park Perez Peterson Phillips Price Quinn Ramirez
Reed Reyes Rivera Roberts Rossi Russo Sanchez Santos Schmidt Shah Sullivan Tanaka Thompson
Torres Turner Vasquez Walker Wang Washington Watson Williams Wright Yamamoto Young Zhang
""".split()

EMAIL_DOMAINS = ("example.com", "example.org", "example.net")

# Area codes around the clinic; the exchange 555 with lines 0100-0199 is reserved for fiction.
AREA_CODES = (518, 315, 607, 845, 914, 212, 646, 718, 347, 516, 631, 716, 585, 413, 802, 860)

# What a past visit was, what comes next and when, the service that next visit is, and what
# such a visit is worth (dollars).
# (procedure, next recommended follow-up, days until it, service slug, value range, weight)
FOLLOW_UPS = [
    ("Cleaning & checkup", "6-month cleaning and checkup", 182, "cleaning", (150, 260), 8),
    (
        "Deep cleaning (scaling and root planing)",
        "3-month periodontal maintenance",
        91,
        "cleaning",
        (180, 320),
        2,
    ),
    (
        "Tooth-colored filling",
        "6-month checkup after a filling",
        182,
        "comprehensive_exam",
        (150, 300),
        2,
    ),
    ("Porcelain crown", "Crown check and cleaning", 182, "cleaning", (150, 260), 1),
    ("Teeth whitening", "Whitening touch-up", 365, "teeth_whitening", (300, 495), 1),
    ("Comprehensive exam", "Annual exam and X-rays", 365, "comprehensive_exam", (165, 350), 2),
]

# A lead's first inquiry, what the outreach calls it, the service to book and its value.
# (initial_inquiry, procedure as named in messages, service slug, value range)
INQUIRIES = [
    ("Asked about Invisalign pricing", "Invisalign", "comprehensive_exam", (3900, 4500)),
    (
        "Wanted a quote for teeth whitening before a wedding",
        "teeth whitening",
        "teeth_whitening",
        (295, 495),
    ),
    (
        "Called about a dental implant for a missing molar",
        "a dental implant",
        "implant_consultation",
        (3200, 4500),
    ),
    (
        "Requested a new-patient cleaning online but never picked a time",
        "a new-patient exam and cleaning",
        "cleaning",
        (150, 275),
    ),
    (
        "Asked whether Delta Dental covers a crown",
        "a porcelain crown",
        "porcelain_crown",
        (1100, 1600),
    ),
    (
        "Chipped a front tooth and asked about a filling",
        "a tooth-colored filling",
        "tooth_filling",
        (180, 400),
    ),
    (
        "Asked if we see children for a first checkup",
        "a children's checkup",
        "cleaning",
        (150, 220),
    ),
    (
        "Wanted a second opinion on a recommended root canal",
        "a second-opinion exam",
        "comprehensive_exam",
        (165, 350),
    ),
    (
        "Asked about sedation options for a nervous patient",
        "a comfortable first visit",
        "comprehensive_exam",
        (165, 400),
    ),
    (
        "Just moved to town and asked about a new-patient exam",
        "a new-patient exam",
        "comprehensive_exam",
        (165, 300),
    ),
    (
        "Asked about financing for two crowns",
        "your crowns",
        "porcelain_crown",
        (2200, 3200),
    ),
    (
        "Asked how much in-office whitening costs",
        "in-office whitening",
        "teeth_whitening",
        (295, 495),
    ),
]

MANUAL_NOTES = [
    "Booked by phone.",
    "Booked at the front desk after the last visit.",
    "Booked by phone; prefers morning reminders.",
    "",
]

# --- What patients write, and what staff answer -------------------------------------------------
# The clinic's side of each conversation is the product's: the agent writes the outreach, the
# answers and the handoff notes itself (from the knowledge base below).

BOOKING_REPLIES = [
    "Yes please, send me the link.",
    "Sure, I've been meaning to book. Mornings work best for me.",
    "Yes! I'd like to book an appointment.",
    "Ok sounds good, I'd like to schedule a visit.",
    "Perfect timing, I was about to call you. Send the link please.",
    "Yes, let's book it.",
]
# Questions the knowledge base answers.
QUESTIONS = [
    "Do you take Cigna? That's my insurance through work.",
    "Are you open on Saturdays? Weekdays are hard for me.",
    "Is there parking near you?",
    "How much is whitening?",
    "Can I pay in installments?",
    "How long does the first visit take?",
]
DECLINES = [
    "No thanks, I've found a dentist closer to work.",
    "We moved to Denver last spring, so we won't be coming back. Thanks anyway!",
    "Not interested at the moment, thank you.",
    "I decided not to go ahead with it, thanks.",
]
OPT_OUTS = ["STOP", "Please stop texting me.", "Unsubscribe"]

# Conversations a person has to take over: (patient text, staff reply, who answers).
HANDOFFS = [
    (
        "I think I was charged twice for my last cleaning. Can someone check?",
        "You're right, the card payment went through twice. I've refunded the duplicate today; "
        "it can take 3 to 5 business days to show on your statement.",
        "front_desk",
    ),
    (
        "My tooth has been throbbing for two days and my cheek is a bit swollen.",
        "Dr. Patel can see you tomorrow morning in our emergency slot, and I've put you down for "
        "8:00 AM. If the swelling spreads or you have trouble swallowing, go to the ER.",
        "front_desk",
    ),
    (
        "My insurance says the claim for my crown was denied. What should I do?",
        "I called your insurer: they needed the X-ray with the claim. We've resubmitted it and "
        "I'll let you know as soon as it's processed.",
        "manager",
    ),
    (
        "I wasn't happy with how my last visit went and would like to talk to the manager.",
        "I'm sorry to hear that. I'd like to hear what happened and put it right. I'll call you "
        "this afternoon; let me know if another time suits you better.",
        "manager",
    ),
    (
        "Can I get a discount if I pay cash up front for the whole treatment?",
        "We don't discount treatment, but our in-house plan spreads it over up to six months "
        "with no interest. Happy to go through the numbers with you.",
        "manager",
    ),
]
STAFF_CONFIRM = (
    "Your appointment on {when} is confirmed. Please arrive 10 minutes early, and reply here if "
    "anything changes."
)

# --- Knowledge base ----------------------------------------------------------------------------

KNOWLEDGE_BASE = [
    (
        "Opening hours",
        "{clinic} is open Monday from 8:00 AM to 7:00 PM, Tuesday through Friday from 8:00 AM "
        "to 6:00 PM, and Saturday from 8:00 AM to 12:00 PM. We are closed on Sundays and on New "
        "Year's Day, Memorial Day, Independence Day, Labor Day, Thanksgiving and Christmas Day. "
        "Saturday mornings are mostly for cleanings and fill up about two weeks ahead. The front "
        "desk answers {phone} during opening hours.",
    ),
    (
        "Location and parking",
        "{clinic} is at {address}, on the ground floor with step-free access. Patients park "
        "free in the garage next to the building: take a ticket at the gate and the front desk "
        "validates it for up to two hours. There are bicycle racks by the main entrance. If you "
        "need help getting from your car, call us from the garage and someone will meet you.",
    ),
    (
        "Insurance we accept",
        "We are in network with Delta Dental PPO, Cigna Dental PPO, Guardian DentalGuard "
        "Preferred, MetLife PDP and Ameritas. Patients with other PPO plans are welcome as "
        "out-of-network patients: we send the claim for you, and you pay the part your plan "
        "does not cover. We do not accept Medicaid or dental HMO plans. Please bring your "
        "insurance card to every visit; before any treatment over $300 we check your benefits "
        "and tell you your expected share.",
    ),
    (
        "Payment plans",
        "Payment is due on the day of treatment. We accept cash, all major credit and debit "
        "cards, Apple Pay and HSA or FSA cards; we do not accept personal checks. For treatment "
        "of $800 or more, {clinic} offers an in-house payment plan: a 25% deposit, then the "
        "balance in up to six monthly payments with no interest and no credit check. Plans are "
        "set up with the office manager before treatment starts.",
    ),
    (
        "Third-party financing",
        "For larger treatment plans we work with CareCredit and Sunbit. Approved patients can "
        "choose 6 or 12 months with no interest if the balance is paid in full within the "
        "promotional period, or a longer plan at a fixed rate. Applying takes about five "
        "minutes at the front desk or online, and financing can be combined with insurance.",
    ),
    (
        "New patient exam",
        "A first visit at {clinic} takes about 75 minutes. It includes a full exam by the "
        "dentist, digital X-rays, an oral cancer screening, a gum check and, in most cases, a "
        "cleaning the same day. Without insurance the new-patient exam with X-rays costs $165, "
        "and a standard cleaning added to it costs $110. Bring a photo ID, your insurance card "
        "and a list of your medications, and arrive 10 minutes early or fill in the forms online "
        "beforehand.",
    ),
    (
        "Teeth whitening",
        "We offer in-office whitening in a single 90-minute visit for $495, and custom "
        "take-home trays with two weeks of gel for $295. Whitening lightens natural teeth only; "
        "it does not change the color of crowns, veneers or fillings. The dentist checks your "
        "teeth and gums first, because whitening is not advised with untreated cavities or "
        "during pregnancy. Whitening is cosmetic, so insurance does not cover it.",
    ),
    (
        "Invisalign clear aligners",
        "Dr. Samuel Okafor provides Invisalign at {clinic}. It starts with a comprehensive exam "
        "and a 3D scan, so you can see a simulation of your result before deciding. Treatment "
        "usually takes 6 to 18 months. Full treatment costs $3,900 to $5,600 depending on "
        "complexity, including the aligners, check-ups and a first set of retainers. Many PPO "
        "plans with orthodontic benefits pay part of it, and a payment plan or financing can "
        "spread the rest.",
    ),
    (
        "Dental emergencies",
        "If you have a toothache, swelling, or a broken or knocked-out tooth, call {phone} as "
        "early as you can: we keep emergency slots every weekday morning for current and new "
        "patients. Outside opening hours, call {emergency_phone} to reach the dentist on call. "
        "Keep a knocked-out adult tooth in milk and come in within an hour if possible. If "
        "swelling spreads to your eye or neck, or you have trouble breathing or swallowing, call "
        "911 or go to the nearest emergency room.",
    ),
    (
        "Children's visits",
        "We see children from their first birthday. A toddler's first visit is a short, gentle "
        "look with the child on a parent's lap. From age 4, children have regular cleanings "
        "with our hygienists, with fluoride varnish included. Sealants cost $45 per tooth "
        "without insurance. A parent or guardian must stay in the clinic during visits for "
        "anyone under 18.",
    ),
    (
        "Cancellations and missed appointments",
        "If you need to change or cancel an appointment, please tell us at least 48 hours ahead "
        "by phone, by text or with the link in your reminder. A late cancellation or missed "
        "appointment for a visit of 60 minutes or longer costs $75; shorter visits are not "
        "charged the first time. We send reminders three days and one day before each visit.",
    ),
    (
        "Sedation for anxious patients",
        "Tell us if dental visits make you nervous: we can book a longer, unhurried "
        "appointment, lend you noise-cancelling headphones, and offer nitrous oxide (laughing "
        "gas) for $60 per visit, which wears off within minutes so you can drive yourself home. "
        "Oral sedation is available for longer treatments for $175, and you will need an adult "
        "to drive you home. {clinic} does not offer IV sedation or general anesthesia; we refer "
        "those cases to an oral surgeon.",
    ),
    (
        "Hygiene and infection control",
        "Every treatment room is cleaned and disinfected between patients, and instruments are "
        "sterilized in an autoclave that is tested every week. Staff wear fresh gloves and masks "
        "for each patient, and the treatment rooms have medical-grade air filtration. If you "
        "have a fever, a cough or another contagious illness on the day of your visit, please "
        "call to reschedule: there is no fee for rescheduling because of illness.",
    ),
    (
        "Dental X-rays",
        "We use digital X-rays, which need far less radiation than film. Most adults have "
        "bitewing X-rays once a year and a full set every five years, or more often when the "
        "dentist needs to follow a problem. Tell us if you are or may be pregnant. If another "
        "office took your X-rays within the past year, we can request them so you don't need "
        "new ones.",
    ),
    (
        "Dental implants",
        "Dr. Maya Patel places and restores implants at {clinic}. The 30-minute implant "
        "consultation includes a 3D scan and costs $95, credited toward treatment if you go "
        "ahead. A single implant with its abutment and crown costs $4,100 to $4,700 in total. "
        "The process takes three to six months, because the bone needs to heal around the "
        "implant before the final crown is placed. Bone grafting, if needed, is quoted "
        "separately.",
    ),
]
