"""The dashboard's forms: they check what a person typed and say what is wrong; the services do
the work (and have the last word: their errors are shown on the form too)."""

import datetime as dt

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from agent.models import KnowledgeArticle
from appointments.models import Service
from campaigns.choices import CampaignStatus, CampaignType
from campaigns.notes import NOTE_MAX
from dashboard.labels import action_label
from dentalai.audit import audit_record
from dentalai.choices import Channel
from dentalai.clinic_time import OUT_OF_RANGE, clinic_zone, computable
from dentalai.models import User
from messaging.reach import too_long
from patients.choices import PatientType
from patients.contact import normalize_email, normalize_phone
from patients.imports.mappings import BUILT_IN, FIELDS, IGNORE, columns_for
from patients.models import ImportMapping

MAX_KB_FILE_BYTES = 1024 * 1024


class NoColon:
    """Labels as headings say them: "Email", not "Email:"."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class StaffLoginForm(NoColon, AuthenticationForm):
    """Django's login form with the words staff expect: email, not username."""

    username = forms.EmailField(
        label="Email",
        max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "Incorrect email or password.",
        "inactive": "Incorrect email or password.",
    }


class CampaignFilterForm(NoColon, forms.Form):
    q = forms.CharField(
        label="Patient", required=False, max_length=100, help_text="Name, email or phone"
    )
    status = forms.ChoiceField(
        required=False, choices=[("", "Any status"), *CampaignStatus.choices]
    )
    campaign_type = forms.ChoiceField(
        label="Type", required=False, choices=[("", "Any type"), *CampaignType.choices]
    )
    channel = forms.ChoiceField(required=False, choices=[("", "Any channel"), *Channel.choices])
    page = forms.IntegerField(required=False, min_value=1, max_value=100000)


class ReplyForm(NoColon, forms.Form):
    """A staff reply: the words, the channel (only those that can carry it now: messaging.reach)
    and the status after. No length attribute on the box: a browser would cut a long paste
    silently; the channel's limit is checked here and said in a sentence."""

    message = forms.CharField(
        label="Message",
        widget=forms.Textarea(attrs={"rows": 4, "data-counter": "reply-counter"}),
        error_messages={"required": "Write a message before sending."},
    )
    channel = forms.ChoiceField(
        label="Send by",
        widget=forms.RadioSelect,
        required=False,
        error_messages={
            "invalid_choice": "That channel cannot carry a message to the patient now: choose "
            "one of those offered."
        },
    )
    new_status = forms.ChoiceField(
        label="Then",
        required=False,
        error_messages={
            "invalid_choice": "That status change is not allowed from the current status."
        },
    )

    def __init__(
        self,
        *args,
        allowed: list[str],
        reach: list,
        default_channel: str,
        campaign_open: bool = True,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.reach = reach
        self.fields["new_status"].choices = [("", "Leave it as it is")] + [
            (s, action_label(s, campaign_open=campaign_open)) for s in allowed
        ]
        usable = [r for r in reach if r.usable]
        self.fields["channel"].choices = [(r.channel, r.label) for r in usable]
        self.fields["channel"].initial = (
            default_channel if any(r.channel == default_channel for r in usable) else None
        )
        self.limits = {r.channel: r.limit for r in usable}

    def clean_message(self):
        message = self.cleaned_data["message"].strip()
        if not message:
            raise ValidationError("Write a message before sending.")
        return message

    def clean(self):
        data = super().clean()
        channel = data.get("channel") or self.fields["channel"].initial
        if not channel:
            raise ValidationError("No channel can carry a message to this patient now.")
        data["channel"] = channel
        if data.get("message") and (refused := too_long(data["message"], channel)):
            self.add_error("message", refused)
        return data


class StatusForm(NoColon, forms.Form):
    status = forms.ChoiceField(choices=CampaignStatus.choices)

    def __init__(self, *args, allowed: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.allowed = allowed

    def clean_status(self):
        status = self.cleaned_data["status"]
        if status not in self.allowed:
            raise ValidationError("That status change is not allowed from the current status.")
        return status


class PatientSearchForm(NoColon, forms.Form):
    q = forms.CharField(label="Search", required=False, max_length=100)
    patient_type = forms.ChoiceField(
        label="Type", required=False, choices=[("", "Everyone"), *PatientType.choices]
    )
    page = forms.IntegerField(required=False, min_value=1, max_value=100000)


class OutboxFilterForm(NoColon, forms.Form):
    q = forms.CharField(label="Search", required=False, max_length=100)
    channel = forms.ChoiceField(required=False, choices=[("", "Any channel"), *Channel.choices])
    page = forms.IntegerField(required=False, min_value=1, max_value=100000)


class CalendarDateField(forms.DateField):
    """A date the calendar can compute with (dentalai.clinic_time.computable)."""

    def validate(self, value):
        super().validate(value)
        if value and not computable(value):
            raise ValidationError(OUT_OF_RANGE)


class CalendarForm(NoColon, forms.Form):
    VIEWS = [("day", "Day"), ("week", "Week")]

    view = forms.ChoiceField(choices=VIEWS, required=False)
    date = CalendarDateField(required=False)
    provider = forms.ChoiceField(required=False)

    def __init__(self, *args, providers: list[User], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].choices = [("", "All providers")] + [
            (p.pk, p.name) for p in providers
        ]


class OfferedTimeField(forms.CharField):
    """A start time picked from the free times offered (dashboard.views.staff_times); what was
    sent is checked for form only, the booking says when it is no longer free."""

    widget = forms.Select

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "Time (clinic time)")
        kwargs.setdefault("error_messages", {"required": "Choose a time."})
        super().__init__(**kwargs)

    def offer(self, times: list[str], sent: str | None) -> None:
        offered = [*times, *([sent] if sent and sent not in times else [])]
        self.widget.choices = [(t, t) for t in offered]

    def clean(self, value):
        value = super().clean(value)
        try:
            time = dt.time.fromisoformat(value)
        except ValueError:
            time = None
        if time is None or len(value) != 5 or time.minute % 15:
            raise ValidationError("Choose one of the times offered (on the quarter hour).")
        return value


class AppointmentCreateForm(NoColon, forms.Form):
    """A visit booked by staff. The patient is found by email or phone, else created."""

    service = forms.ModelChoiceField(queryset=Service.objects.order_by("name"), empty_label=None)
    provider = forms.ChoiceField(required=False, label="Provider")
    date = CalendarDateField(widget=forms.DateInput(attrs={"type": "date"}))
    time = OfferedTimeField()
    duration_minutes = forms.IntegerField(
        label="Duration (minutes)",
        required=False,
        min_value=5,
        max_value=480,
        help_text="Leave empty for the service's usual length.",
    )
    name = forms.CharField(
        label="Patient name",
        max_length=200,
        error_messages={"required": "Enter the patient's name."},
    )
    email = forms.CharField(label="Email", required=False, max_length=254)
    phone = forms.CharField(label="Phone", required=False, max_length=40)
    preferred_channel = forms.ChoiceField(
        label="Preferred channel (new patients)",
        required=False,
        choices=[("", "—"), *Channel.choices],
    )
    notes = forms.CharField(required=False, max_length=2000, widget=forms.Textarea({"rows": 2}))

    def __init__(self, *args, providers: list[User], times: list[str], times_note: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].choices = [("", "First free provider")] + [
            (p.pk, p.name) for p in providers
        ]
        self.fields["time"].offer(times, self.data.get("time") if self.is_bound else None)
        self.times_note = times_note
        if not self.is_bound and times and self.initial.get("time") not in times:
            self.initial["time"] = times[0]

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise ValidationError("Enter the patient's name.")
        return name

    def clean_email(self):
        email = normalize_email(self.cleaned_data.get("email"))
        if email:
            validate_email(email)
        return email

    def clean_phone(self):
        try:
            return normalize_phone(self.cleaned_data.get("phone"))
        except ValidationError as exc:
            raise ValidationError("Not a valid phone number.") from exc

    def clean(self):
        data = super().clean()
        if not self.errors and not data.get("email") and not data.get("phone"):
            raise ValidationError("Enter the patient's email or phone number (or both).")
        return data

    def appointment_start(self) -> dt.datetime:
        return clinic_start(self.cleaned_data["date"], self.cleaned_data["time"])


class CompleteForm(NoColon, forms.Form):
    next_follow_up_date = CalendarDateField(
        label="Next follow-up date",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="When the patient is due back (starts a recall that day). Optional.",
    )


class KnowledgeArticleForm(NoColon, forms.ModelForm):
    class Meta:
        model = KnowledgeArticle
        fields = ["title", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 14})}
        help_texts = {
            "body": "What the AI may tell patients about this topic, and nothing more: it "
            "answers only from these words.",
        }

    def clean_title(self):
        title = self.cleaned_data["title"].strip()
        if not title:
            raise ValidationError("Give the article a title.")
        return title

    def clean_body(self):
        body = self.cleaned_data["body"].strip()
        if not body:
            raise ValidationError("Write the article's text.")
        return body

    def save_as(self, actor: User) -> KnowledgeArticle:
        adding = self.instance._state.adding
        article = self.save()
        audit_record(
            actor=actor,
            action="kb_article_create" if adding else "kb_article_change",
            target=article,
            details={"title": article.title},
        )
        return article


class KnowledgeImportForm(NoColon, forms.Form):
    file = forms.FileField(
        label="Markdown file",
        help_text="'# Clinic name', then one '## Title' section per article. Articles are matched "
        "by title: re-importing updates them; articles not in the file are kept.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_KB_FILE_BYTES:
            raise ValidationError("The file is larger than 1 MB: is it the right one?")
        try:
            return upload.read().decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValidationError("The file is not UTF-8 text: save it as Markdown (.md).") from exc


class PatientImportForm(NoColon, forms.Form):
    """Step one of the import page: the export and, optionally, how to read its columns."""

    file = forms.FileField(
        label="Export file",
        help_text="CSV or XLSX: Open Dental's patient or recall export, Dentrix's Continuing "
        "Care data file, or a spreadsheet with a header row.",
    )
    mapping = forms.ChoiceField(label="Columns", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        saved = ImportMapping.objects.values_list("name", flat=True)
        self.fields["mapping"].choices = [
            ("", "Recognise them from the headers"),
            *((name, BUILT_IN_LABELS[name]) for name in BUILT_IN),
            *((name, f"Saved: {name}") for name in saved),
        ]


BUILT_IN_LABELS = {
    "opendental": "Open Dental export",
    "dentrix": "Dentrix Continuing Care list",
    "plain": "Plain headers (First name, Mobile, Recall due…)",
}


class ImportColumnsForm(NoColon, forms.Form):
    """Step two: which field each of the file's columns fills, corrected by staff."""

    save_as = forms.CharField(
        label="Save these columns as",
        max_length=100,
        required=False,
        help_text="A name to pick them next time (optional).",
    )

    def __init__(self, *args, headers: list[str], columns: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.headers = headers
        choices = [(IGNORE, "Not imported"), *FIELDS.items()]
        for i, header in enumerate(headers):
            self.fields[f"column_{i}"] = forms.ChoiceField(
                label=header or f"Column {i + 1}",
                choices=choices,
                required=False,
                initial=columns.get(header, IGNORE),
            )

    def column_fields(self):
        return [self[f"column_{i}"] for i in range(len(self.headers))]

    def clean_save_as(self):
        name = self.cleaned_data["save_as"].strip()
        if name.lower() in BUILT_IN:
            raise ValidationError(f"“{name}” is a built-in mapping's name; choose another.")
        return name

    def clean(self):
        data = super().clean()
        columns = {h: data.get(f"column_{i}") or IGNORE for i, h in enumerate(self.headers)}
        chosen: dict[str, list[str]] = {}
        for header, field in columns.items():
            if field:
                chosen.setdefault(field, []).append(header)
        for field, headers in chosen.items():
            if len(headers) > 1:
                raise ValidationError(
                    f"“{FIELDS[field]}” is chosen for {len(headers)} columns "
                    f"({', '.join(headers)}): choose it for one."
                )
        columns_for(self.headers, columns)  # a name and a way to reach the patient
        data["columns"] = columns
        return data


class CalendarFeedForm(NoColon, forms.Form):
    """A new private calendar URL: one provider's visits, or the whole clinic's."""

    provider = forms.ChoiceField(required=False, label="Whose visits")
    patient_details = forms.BooleanField(
        required=False,
        label="Show patients' full names and phone numbers",
        help_text="Off: each visit shows the service and the patient's first name only. Turn it "
        "on only for a calendar no one outside the clinic can see.",
    )

    def __init__(self, *args, providers: list[User], **kwargs):
        super().__init__(*args, **kwargs)
        self.providers = {str(p.pk): p for p in providers}
        self.fields["provider"].choices = [("", "The whole clinic")] + [
            (p.pk, p.name) for p in providers
        ]

    def clean_provider(self):
        return self.providers.get(self.cleaned_data["provider"])


class AssignForm(NoColon, forms.Form):
    """Who on the staff owns a conversation waiting for a person."""

    assignee = forms.ChoiceField(label="Assigned to", required=False)

    def __init__(self, *args, staff: list[User], **kwargs):
        super().__init__(*args, **kwargs)
        self.staff = {str(u.pk): u for u in staff}
        self.fields["assignee"].choices = [("", "Nobody")] + [(u.pk, u.name) for u in staff]

    def clean_assignee(self):
        return self.staff.get(self.cleaned_data["assignee"])


class NoteForm(NoColon, forms.Form):
    body = forms.CharField(
        label="Internal note",
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For the team only: never sent to the patient.",
        error_messages={
            "required": "Write the note first.",
            "max_length": "A note can be at most %(limit_value)d characters "
            "(it has %(show_value)d).",
        },
    )


class PatientForm(NoColon, forms.Form):
    """A patient's record as the front desk edits it; the model has the last word (an email, a
    phone number, contacts no other patient has), its errors shown by field."""

    name = forms.CharField(
        label="Name", max_length=200, error_messages={"required": "Enter the patient's name."}
    )
    email = forms.EmailField(label="Email", required=False)
    phone = forms.CharField(label="Mobile phone", max_length=40, required=False)
    texts_allowed = forms.BooleanField(
        label="Agrees to text messages (SMS, WhatsApp)", required=False, initial=True
    )
    preferred_channel = forms.ChoiceField(
        label="Reach them first by",
        choices=[("", "No preference"), *Channel.choices],
        required=False,
    )
    patient_type = forms.ChoiceField(label="Type", choices=PatientType.choices)
    next_follow_up_date = forms.DateField(
        label="Next recall due", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    next_recommended_follow_up = forms.CharField(
        label="For (recall type)", max_length=200, required=False
    )
    external_id = forms.CharField(label="Patient id in your PMS", max_length=64, required=False)

    def clean(self):
        data = super().clean()
        if not (data.get("email") or data.get("phone")):
            raise ValidationError("Enter the patient's email or mobile phone (or both).")
        try:
            data["phone"] = normalize_phone(data.get("phone"))
        except ValidationError:
            self.add_error("phone", "Not a valid phone number.")
        data["email"] = normalize_email(data.get("email"))
        return data

    def changes(self) -> dict:
        data = self.cleaned_data
        channel = data.get("preferred_channel")
        return {
            "name": data["name"].strip(),
            "email": data["email"],
            "phone": data["phone"],
            "texts_allowed": data["texts_allowed"],
            "preferred_channels": [channel] if channel else [],
            "patient_type": data["patient_type"],
            "next_follow_up_date": data.get("next_follow_up_date"),
            "next_recommended_follow_up": data.get("next_recommended_follow_up", "").strip(),
            "external_id": data.get("external_id", "").strip(),
        }

    @classmethod
    def for_patient(cls, patient, data=None):
        channels = patient.preferred_channels or []
        initial = {
            "name": patient.name,
            "email": patient.email,
            "phone": patient.phone,
            "texts_allowed": patient.texts_allowed,
            "preferred_channel": channels[0] if channels else "",
            "patient_type": patient.patient_type,
            "next_follow_up_date": patient.next_follow_up_date,
            "next_recommended_follow_up": patient.next_recommended_follow_up,
            "external_id": patient.external_id,
        }
        return cls(data, initial=initial)


class MessagesConsentForm(NoColon, forms.Form):
    reason = forms.CharField(
        label="Why",
        max_length=300,
        error_messages={"required": "Say why (for example: asked on the phone)."},
        widget=forms.TextInput(attrs={"placeholder": "e.g. asked on the phone"}),
    )


class ClosureForm(NoColon, forms.Form):
    first = CalendarDateField(
        label="Closed from",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": "Enter the first day the clinic is closed."},
    )
    last = CalendarDateField(
        label="Until (included)",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Leave empty for one day.",
    )
    reason = forms.CharField(
        label="Why",
        max_length=120,
        error_messages={"required": "Say why the clinic is closed (for example: Christmas Day)."},
        widget=forms.TextInput(attrs={"placeholder": "e.g. Christmas Day"}),
    )


def clinic_start(day: dt.date, time: str) -> dt.datetime:
    """A day and an "HH:MM" on the clinic's clock, as an aware datetime."""
    return dt.datetime.combine(day, dt.time.fromisoformat(time)).replace(tzinfo=clinic_zone())


class CancelVisitForm(NoColon, forms.Form):
    reason = forms.CharField(
        label="Why",
        max_length=500,
        error_messages={
            "required": "Say why the visit is cancelled (for example: the patient called)."
        },
        widget=forms.TextInput(
            attrs={"placeholder": "e.g. the patient called, the dentist is ill"}
        ),
    )
    tell_patient = forms.BooleanField(
        label="Tell the patient (a message on their channel)", required=False, initial=True
    )
    note = forms.CharField(
        label="Add a note to the patient (optional)",
        required=False,
        max_length=500,
        widget=forms.Textarea({"rows": 2}),
    )


class MoveVisitForm(NoColon, forms.Form):
    date = CalendarDateField(
        label="New day",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": "Choose the new day."},
    )
    time = OfferedTimeField(label="New time (clinic time)")
    provider = forms.ChoiceField(required=False, label="Provider")

    def __init__(self, *args, providers: list[User], times: list[str], times_note: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].choices = [("", "Any free provider (the same one first)")] + [
            (p.pk, p.name) for p in providers
        ]
        self.fields["time"].offer(times, self.data.get("time") if self.is_bound else None)
        self.times_note = times_note


class VisitNotesForm(NoColon, forms.Form):
    notes = forms.CharField(
        label="Notes for the team",
        required=False,
        max_length=2000,
        widget=forms.Textarea({"rows": 3}),
        help_text="Never sent to the patient.",
    )
