from django.db import connection
from django.http import JsonResponse
from django.views.decorators.http import require_GET


@require_GET
def healthz(request):
    """For load balancers and `make run`: the app is up and the database answers."""
    connection.ensure_connection()
    return JsonResponse({"status": "ok"})
