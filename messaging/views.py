"""The unsubscribe page behind the link in every email: no login, one visit (CAN-SPAM)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from messaging.unsubscribe import unsubscribe_token_patient_id
from patients.models import Patient
from patients.optout import patient_opt_out


# POST is the one-click unsubscribe of RFC 8058 (List-Unsubscribe-Post), sent by mail clients
# without a CSRF token; it does exactly what the GET does.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    patient_id = unsubscribe_token_patient_id(token)
    patient = Patient.objects.filter(pk=patient_id).first() if patient_id else None
    if patient is None:
        response = render(request, "messaging/unsubscribe.html", {"valid": False}, status=404)
    else:
        if request.method != "HEAD":
            patient_opt_out(patient=patient)
        response = render(request, "messaging/unsubscribe.html", {"valid": True})
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"  # the token is in the URL
    return response
