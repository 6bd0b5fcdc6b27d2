"""The unsubscribe page behind the link in every email: no login, one click (CAN-SPAM).

Opening the link (GET) only asks: mail scanners and link previews follow every link, and must
not unsubscribe anyone. The page's button and a mail client's one-click unsubscribe (RFC 8058,
`List-Unsubscribe-Post`) POST to the same address, and that opts the patient out."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from messaging.unsubscribe import unsubscribe_token_patient_id
from patients.models import Patient
from patients.optout import patient_opt_out


# Mail clients POST the one-click unsubscribe without a CSRF token; the signed token in the
# address is the credential, and the worst a forged POST can do is what the link itself does.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    patient_id = unsubscribe_token_patient_id(token)
    patient = Patient.objects.filter(pk=patient_id).first() if patient_id else None
    if patient is None:
        response = render(request, "messaging/unsubscribe.html", {"state": "invalid"}, status=404)
    else:
        if request.method == "POST":
            patient_opt_out(patient=patient)
        state = "done" if patient.is_opted_out else "confirm"
        response = render(request, "messaging/unsubscribe.html", {"state": state})
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"  # the token is in the URL
    return response
