"""What each staff role may do, as data.

Managers and admins run the whole system; the front desk and clinicians work with patients,
campaigns, appointments and the knowledge base, and can read (not change) messaging records.
Nobody but managers and admins manages staff accounts or reads the audit log. Per-user grants
through Django's permissions still add to these.
"""

from dentalai.choices import Role

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
