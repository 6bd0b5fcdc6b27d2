from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from patients.contact import normalize_email, normalize_phone


class ContactForm(forms.Form):
    """Who is booking, when they came without a booking link: the clinic finds them by email
    or phone (it only books patients it is in touch with)."""

    name = forms.CharField(
        label="Your name",
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        error_messages={"required": "Enter your name."},
    )
    email = forms.CharField(
        label="Email",
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "inputmode": "email"}),
    )
    phone = forms.CharField(
        label="Mobile phone",
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel", "type": "tel"}),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise ValidationError("Enter your name.")
        return name

    def clean_email(self):
        email = normalize_email(self.cleaned_data.get("email"))
        if email:
            try:
                validate_email(email)
            except ValidationError as exc:
                raise ValidationError("Enter an email address like name@example.com.") from exc
        return email

    def clean_phone(self):
        try:
            return normalize_phone(self.cleaned_data.get("phone"))
        except ValidationError as exc:
            raise ValidationError(
                "Enter a phone number we can reach, like (212) 555-0123."
            ) from exc

    def clean(self):
        data = super().clean()
        contact_errors = "email" in self.errors or "phone" in self.errors
        if not contact_errors and not data.get("email") and not data.get("phone"):
            raise ValidationError(
                "Enter the email or the phone number the clinic has for you (or both)."
            )
        return data


class CancelVisitForm(forms.Form):
    """The patient cancels their visit from its self-service link."""

    reason = forms.CharField(
        label="Anything you would like us to know? (optional)",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


WEEKDAYS = [(0, "Mon"), (1, "Tue"), (2, "Wed"), (3, "Thu"), (4, "Fri"), (5, "Sat"), (6, "Sun")]


class AsapForm(forms.Form):
    """What suits a patient joining the ASAP list: days and a range of start times (any when
    left empty)."""

    weekdays = forms.TypedMultipleChoiceField(
        label="Days that suit (none ticked: any day)",
        choices=WEEKDAYS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    earliest = forms.TimeField(
        label="Not before", required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    latest = forms.TimeField(
        label="Starting by", required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        earliest, latest = data.get("earliest"), data.get("latest")
        if earliest and latest and latest < earliest:
            raise ValidationError("“Starting by” is before “Not before”.")
        return data
