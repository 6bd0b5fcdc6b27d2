"""Staff creating and editing a patient's record, and changing their consent (SPEC §8): one
door, called by the dashboard. Every change is audited — which fields changed, never their
values — and an opt-out or opt-in by staff keeps its reason, shown on the patient's page."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError

from dentalai.audit import audit_record
from dentalai.database import atomic
from dentalai.errors import ApplicationError
from dentalai.models import AuditEntry, User
from patients.models import Patient
from patients.optout import patient_opt_in, patient_opt_out

EDITABLE = (
    "name",
    "email",
    "phone",
    "patient_type",
    "preferred_channels",
    "texts_allowed",
    "next_follow_up_date",
    "next_recommended_follow_up",
    "external_id",
)
REASON_MAX = 300
CONTACT_TAKEN = "Another patient on file has this {field}."


def patient_save(*, actor: User, patient: Patient, changes: dict) -> list[str]:
    """Write `changes` ({field: value}, EDITABLE fields only) to `patient`, new or on file,
    after the model's own checks (an email, a phone in E.164, contacts unique). Returns the
    fields that changed; ValidationError, by field, when a value cannot be stored."""
    creating = patient._state.adding
    changed = [
        name for name in EDITABLE if name in changes and getattr(patient, name) != changes[name]
    ]
    for name in changed:
        setattr(patient, name, changes[name])
    if not (changed or creating):
        return []
    patient.full_clean()
    details = {"fields": sorted(changed)}
    if "texts_allowed" in changed:
        details["texts_allowed"] = patient.texts_allowed
    try:
        with atomic():
            patient.save()
            audit_record(
                actor=actor,
                action="patient_create" if creating else "patient_change",
                target=patient,
                details=details,
            )
    except IntegrityError as exc:  # a concurrent write took the contact after full_clean
        raise ValidationError(CONTACT_TAKEN.format(field="email or phone")) from exc
    return changed


def patient_messages_set(*, actor: User, patient: Patient, allowed: bool, reason: str) -> bool:
    """Staff opt the patient out of every message, or back in, saying why (the patient asked
    on the phone, a wrong number…). False when they already were."""
    reason = reason.strip()
    if not reason:
        raise ApplicationError("Say why (for example: asked on the phone).")
    if len(reason) > REASON_MAX:
        raise ApplicationError(f"Keep the reason under {REASON_MAX} characters.")
    if allowed:
        changed = patient_opt_in(patient=patient)
    else:
        changed = not patient.is_opted_out
        patient_opt_out(patient=patient)
    if changed:
        audit_record(
            actor=actor,
            action="patient_opt_in" if allowed else "patient_opt_out",
            target=patient,
            details={"reason": reason},
        )
    return changed


# A record's fields as the changes list on the patient's page names them.
FIELD_WORDS = {
    "name": "the name",
    "email": "the email",
    "phone": "the phone",
    "patient_type": "the type",
    "preferred_channels": "the channel to reach them by",
    "texts_allowed": "consent to text messages",
    "next_follow_up_date": "the recall due date",
    "next_recommended_follow_up": "the recall type",
    "external_id": "the PMS id",
}


def change_words(entry: AuditEntry) -> str:
    """An audited change to the record in words: "changed the email, the phone"."""
    details = entry.details or {}
    if entry.action == "patient_create":
        return "added the patient"
    if entry.action == "patient_change":
        fields = details.get("fields") or []
        return "changed " + ", ".join(FIELD_WORDS.get(f, f.replace("_", " ")) for f in fields)
    if entry.action == "patient_opt_out":
        return f"opted them out of messages: “{details.get('reason', '')}”"
    if entry.action == "patient_opt_in":
        return f"opted them back in to messages: “{details.get('reason', '')}”"
    return entry.action.replace("_", " ")


def patient_changes(patient: Patient) -> list[dict]:
    """What was changed on the patient's record, newest first: when, by whom, what."""
    entries = (
        AuditEntry.objects.filter(object_type="patients.patient", object_id=str(patient.pk))
        .select_related("actor")
        .order_by("-created_at")[:50]
    )
    return [
        {"at": e.created_at, "by": e.actor.name if e.actor else "", "what": change_words(e)}
        for e in entries
    ]
