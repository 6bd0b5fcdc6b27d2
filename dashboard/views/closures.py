"""The clinic's closed days: staff add and remove them, and see the visits still booked on
them (appointments.closures)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from appointments.closures import (
    closure_add,
    closure_remove,
    upcoming_closures,
    visits_on_closed_days,
)
from dashboard.forms import ClosureForm
from dashboard.views.common import get_or_404
from dentalai.errors import ApplicationError
from dentalai.roles import requires


@login_required
@requires("appointments.add_clinicclosure")
def closures(request):
    form = ClosureForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            added = closure_add(
                actor=request.user, first=data["first"], last=data["last"], reason=data["reason"]
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                f"Closed {len(added)} day{'s' if len(added) != 1 else ''}: nothing can be booked "
                "on them."
                if added
                else "Those days were already closed.",
            )
            return redirect("dashboard:closures")
    closed = upcoming_closures()
    context = {"form": form, "closures": closed, "visits": visits_on_closed_days(closed)}
    return render(request, "dashboard/closures.html", context, status=400 if form.is_bound else 200)


@login_required
@requires("appointments.delete_clinicclosure")
@require_POST
def closure_open(request, closure_id: str):
    closure = get_or_404(closure_remove, actor=request.user, closure_id=closure_id)
    messages.success(request, f"Open again on {closure.day:%a %b} {closure.day.day}.")
    return redirect("dashboard:closures")
