from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from dentalai.home import home_summary


@login_required
def home(request):
    return render(request, "home.html", {"summary": home_summary()})


@require_GET
def healthz(request):
    """For load balancers and `make run`: the app is up and the database answers."""
    connection.ensure_connection()
    return JsonResponse({"status": "ok"})
