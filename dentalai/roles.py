"""What each staff role may do, as data.

Managers and admins run the whole system; the front desk and clinicians work with patients,
campaigns, appointments and the knowledge base, and can read (not change) messaging records.
Nobody but managers and admins manages staff accounts or reads the audit log. Per-user grants
through Django's permissions still add to these.
"""

import functools

from django.core.exceptions import PermissionDenied

from dentalai.choices import Role
from dentalai.errors import Forbidden

FULL_ACCESS_ROLES = frozenset({Role.ADMIN, Role.OFFICE_MANAGER})
DAY_TO_DAY_APPS = frozenset({"patients", "campaigns", "appointments", "agent"})
DAY_TO_DAY_ACTIONS = frozenset({"view", "add", "change"})
READ_ONLY_APPS = frozenset({"messaging"})


def role_has_perm(role: str, perm: str) -> bool:
    """`perm` is Django's "app_label.codename", e.g. "campaigns.change_campaign"."""
    if role in FULL_ACCESS_ROLES:
        return True
    app_label, _, codename = perm.partition(".")
    action = codename.split("_", 1)[0]
    if app_label in DAY_TO_DAY_APPS:
        return action in DAY_TO_DAY_ACTIONS
    if app_label in READ_ONLY_APPS:
        return action == "view"
    return False


def role_has_module_perms(role: str, app_label: str) -> bool:
    return role in FULL_ACCESS_ROLES or app_label in DAY_TO_DAY_APPS | READ_ONLY_APPS


NOT_ALLOWED = "Your role does not allow this."


def permission_check(user, permission: str) -> None:
    """Forbidden (403) unless `user` may `permission` ("app_label.codename"): the one check the
    API's operations (dentalai.auth.JWTAuth), the dashboard's actions (`requires`) and the admin
    (Django's own, through User.has_perm) all make against the table above."""
    if not user.has_perm(permission):
        raise Forbidden(NOT_ALLOWED)


def requires(permission: str):
    """A dashboard view that needs `permission`: a 403 page for a role without it. The view
    keeps the permission as `.permission` (tests/test_roles.py walks them)."""

    def decorate(view):
        @functools.wraps(view)
        def checked(request, *args, **kwargs):
            if not request.user.has_perm(permission):
                raise PermissionDenied(NOT_ALLOWED)
            return view(request, *args, **kwargs)

        checked.permission = permission
        return checked

    return decorate
