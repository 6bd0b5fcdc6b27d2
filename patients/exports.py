"""The columns of the patient list's CSV export (dentalai.exports)."""

PATIENT_COLUMNS = [
    ("Patient id", lambda p: p.pk),
    ("PMS id", lambda p: p.external_id),
    ("Name", lambda p: p.name),
    ("Email", lambda p: p.email),
    ("Phone", lambda p: p.phone),
    ("Type", lambda p: p.get_patient_type_display()),
    ("Texts allowed", lambda p: p.texts_allowed),
    ("Opted out", lambda p: p.is_opted_out),
    ("Opted out at", lambda p: p.opted_out_at),
    ("Recall due", lambda p: p.next_follow_up_date),
    ("Recall", lambda p: p.next_recommended_follow_up),
    ("Added", lambda p: p.created_at),
]
