"""One permission table (dentalai/roles.py), applied the same by the API, the dashboard and the
admin: every staff API operation and every dashboard action names the permission it needs, and
for every role each answers 403 exactly when the table says the role lacks it."""

import inspect
import re

import pytest
from django.contrib import admin
from django.test import Client, RequestFactory
from django.urls import URLPattern, get_resolver

from dentalai.api import api
from dentalai.auth import JWTAuth
from dentalai.choices import Role
from dentalai.roles import role_has_perm
from tests.conftest import bearer, make_user

pytestmark = pytest.mark.django_db

ANY_ID = "0123456789abcdef01234567"
# Signed in is enough: who the token belongs to.
OPEN_TO_ALL_STAFF = {("GET", "/api/v1/users/me")}


def api_operations() -> list[tuple[str, str, str]]:
    """(method, path, permission) of every operation that takes a staff token."""
    found = []
    for router in api._get_bound_routers():
        for path, view in router.path_operations.items():
            for operation in view.operations:
                auth = [a for a in operation.auth_callbacks if isinstance(a, JWTAuth)]
                if not auth:
                    continue
                url = "/api/v1" + router.prefix.rstrip("/") + "/" + path.lstrip("/")
                url = re.sub(r"\{\w+\}", ANY_ID, url.rstrip("/") or url)
                for method in operation.methods:
                    found.append((method, url, auth[0].permission))
    return found


def dashboard_views() -> list[tuple[str, object]]:
    """(route, view) of the dashboard's pages and actions."""
    patterns = []

    def walk(entries, prefix=""):
        for entry in entries:
            if isinstance(entry, URLPattern):
                patterns.append((prefix + str(entry.pattern), entry.callback))
            else:
                walk(entry.url_patterns, prefix + str(entry.pattern))

    walk(get_resolver().url_patterns)
    return [(route, view) for route, view in patterns if view.__module__.startswith("dashboard.")]


@pytest.fixture
def staff():
    return {role: make_user(f"{role.lower()}@clinic.example", role.label, role) for role in Role}


def test_every_staff_operation_names_its_permission():
    operations = api_operations()
    assert len(operations) >= 13
    unnamed = {(m, p) for m, p, permission in operations if not permission}
    assert unnamed == OPEN_TO_ALL_STAFF


def test_every_role_gets_exactly_the_api_operations_the_table_gives_it(staff):
    client = Client()
    for method, path, permission in api_operations():
        for role, user in staff.items():
            response = client.generic(
                method, path, b"{}", content_type="application/json", headers=bearer(user)
            )
            allowed = not permission or role_has_perm(role, permission)
            assert (response.status_code != 403) == allowed, (role, method, path)
            if not allowed:
                assert response.json() == {"detail": "Your role does not allow this."}


def test_the_front_desk_cannot_delete_an_appointment_through_the_api(staff):
    response = Client().delete(
        f"/api/v1/admin/appointments/{ANY_ID}", headers=bearer(staff[Role.FRONT_DESK])
    )

    assert response.status_code == 403


def test_every_dashboard_view_that_takes_a_post_names_its_permission():
    for route, view in dashboard_views():
        source = inspect.getsource(inspect.unwrap(view))
        if "POST" in source and not route.startswith(("login", "logout")):
            assert getattr(view, "permission", ""), route


def test_every_role_gets_exactly_the_dashboard_actions_the_table_gives_it(staff):
    actions = [(r, v) for r, v in dashboard_views() if getattr(v, "permission", "")]
    assert len(actions) >= 7
    for role, user in staff.items():
        client = Client()
        client.force_login(user)
        for route, view in actions:
            path = "/" + re.sub(r"<\w+:\w+>", ANY_ID, route)
            response = client.post(path, {})
            allowed = role_has_perm(role, view.permission)
            assert (response.status_code != 403) == allowed, (role, route)


def test_the_admin_applies_the_same_table(staff):
    appointment_admin = next(
        model_admin
        for model, model_admin in admin.site._registry.items()
        if model._meta.label == "appointments.Appointment"
    )
    for role, user in staff.items():
        request = RequestFactory().get("/admin/")
        request.user = user
        assert appointment_admin.has_delete_permission(request) == role_has_perm(
            role, "appointments.delete_appointment"
        )
