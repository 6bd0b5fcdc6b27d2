"""Data where it is queried: every message names its patient (its campaign becomes optional) and
its kind; a handoff's reason and time are columns. Existing rows are filled from their campaign,
from `ai_analysis["kind"]` and from `handoff_details`."""

import datetime as dt

import django.db.models.deletion
from django.db import migrations, models

KINDS = {
    "outreach",
    "follow_up",
    "booking_link",
    "answer",
    "handoff_notice",
    "close",
    "opt_out_confirmation",
    "opt_in_confirmation",
}


def _kind(row) -> str:
    analysis = row.ai_analysis if isinstance(row.ai_analysis, dict) else {}
    if analysis.get("kind") in KINDS:
        return analysis["kind"]
    if row.direction == "incoming":
        return "reply"
    return "staff" if row.author_id else ""


def _requested_at(details: dict):
    raw = details.get("requested_at")
    if not isinstance(raw, str):
        return None
    try:
        moment = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def fill(apps, schema_editor):
    Campaign = apps.get_model("campaigns", "Campaign")
    Interaction = apps.get_model("campaigns", "Interaction")
    patient_of = dict(Campaign.objects.values_list("pk", "patient_id"))
    for row in Interaction.objects.only("pk", "campaign_id", "direction", "author_id", "ai_analysis"):
        Interaction.objects.filter(pk=row.pk).update(
            patient_id=patient_of[row.campaign_id], kind=_kind(row)
        )
    # A handoff staff made by moving the status has no details: it waits from its last change.
    for campaign in Campaign.objects.only("pk", "status", "handoff_details", "updated_at"):
        details = campaign.handoff_details if isinstance(campaign.handoff_details, dict) else {}
        requested = _requested_at(details)
        if requested is None and campaign.status == "HANDOFF_REQUIRED":
            requested = campaign.updated_at
        if details or requested:
            Campaign.objects.filter(pk=campaign.pk).update(
                handoff_reason=str(details.get("reason") or "")[:32],
                handoff_requested_at=requested,
            )


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0001_initial"),
        ("campaigns", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="campaign",
            name="handoff_reason",
            field=models.CharField(
                blank=True,
                choices=[
                    ("ai_unavailable", "The AI could not answer"),
                    ("unanswered_question", "Question the knowledge base does not answer"),
                    ("pain_or_emergency", "Pain or a possible emergency"),
                    ("billing", "Billing or insurance account question"),
                    ("complaint", "Complaint"),
                    ("human_requested", "Asked for a person"),
                    ("appointment_change", "Change or cancel an existing appointment"),
                    ("not_english", "Not written in English"),
                    ("prompt_injection", "Tried to instruct the assistant"),
                    ("clinical_question", "A clinical question for the dentist"),
                    ("record_change", "Change of contact details or of who to contact"),
                    ("confused", "Does not recognise the clinic or the message"),
                    ("unclear", "No clear request"),
                ],
                default="",
                max_length=32,
            ),
        ),
        migrations.AddField(
            model_name="campaign",
            name="handoff_requested_at",
            field=models.DateTimeField(blank=True, db_index=True, null=True),
        ),
        migrations.AddField(
            model_name="interaction",
            name="kind",
            field=models.CharField(
                blank=True,
                choices=[
                    ("outreach", "First outreach"),
                    ("follow_up", "Follow-up"),
                    ("booking_link", "Booking link"),
                    ("answer", "Answer with booking link"),
                    ("handoff_notice", "Handoff notice"),
                    ("close", "Polite close"),
                    ("opt_out_confirmation", "Opt-out confirmation"),
                    ("opt_in_confirmation", "Re-subscribe confirmation"),
                    ("staff", "Staff reply"),
                    ("reply", "Patient's message"),
                ],
                default="",
                max_length=32,
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="interaction",
            name="patient",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="interactions",
                to="patients.patient",
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="interaction",
            name="patient",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="interactions",
                to="patients.patient",
            ),
        ),
        migrations.AlterField(
            model_name="interaction",
            name="campaign",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="interactions",
                to="campaigns.campaign",
            ),
        ),
        migrations.AddIndex(
            model_name="interaction",
            index=models.Index(fields=["patient", "timestamp"], name="interaction_patient_idx"),
        ),
    ]
