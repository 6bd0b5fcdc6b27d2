"""Each state change that matters has one door (CONVENTIONS "One door"): these read the product's
source and fail when a module outside the door writes what only the door may write."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("dentalai", "patients", "appointments", "campaigns", "messaging", "agent", "dashboard")
APPS += ("booking",)
CAMPAIGN_STATUS_DOOR = "campaigns/status.py"
APPOINTMENT_STATUS_DOOR = "appointments/status.py"
STATUS_FIELDS = {"status", "is_active"}


def product_modules():
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path.relative_to(ROOT).as_posix(), path.read_text(encoding="utf-8")


def _names(node: ast.AST) -> set[str]:
    """Every name and attribute in an expression: `Campaign.objects.filter(...)` gives
    {"Campaign", "objects", "filter"}."""
    found = set()
    for part in ast.walk(node):
        if isinstance(part, ast.Name):
            found.add(part.id)
        elif isinstance(part, ast.Attribute):
            found.add(part.attr)
    return found


def _receiver_names(node: ast.AST) -> set[str]:
    """The names along a call chain, not its arguments: `Patient.objects.filter(pk=
    appointment.patient_id).update` gives {"Patient", "objects", "filter", "update"} (a
    `type(x)` in the chain counts as x)."""
    found = set()
    while True:
        if isinstance(node, ast.Attribute):
            found.add(node.attr)
            node = node.value
        elif isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name) and node.func.id == "type" and node.args:
                node = node.args[0]
            else:
                node = node.func
        else:
            if isinstance(node, ast.Name):
                found.add(node.id)
            return found


def status_writes(source: str, about: str) -> list[int]:
    """Lines that assign, update or save the status of a record named like `about`."""

    def _about(node: ast.AST) -> bool:
        return any(about in name.lower() for name in _names(node))

    def _queryset_about(node: ast.AST) -> bool:
        return any(about in name.lower() for name in _receiver_names(node))

    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if (
                    isinstance(target, ast.Attribute)
                    and target.attr in STATUS_FIELDS
                    and _about(target.value)
                ):
                    lines.append(node.lineno)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            keywords = {k.arg for k in node.keywords}
            method = node.func.attr
            if method == "update" and keywords & STATUS_FIELDS and _queryset_about(node.func):
                lines.append(node.lineno)
            if method == "update" and None in keywords and _queryset_about(node.func):
                lines.append(node.lineno)  # **fields could hold the status
            if method == "save" and _about(node.func.value):
                for keyword in node.keywords:
                    if keyword.arg == "update_fields" and STATUS_FIELDS & _strings(keyword.value):
                        lines.append(node.lineno)
        elif _is_status_setattr(node, _about):
            lines.append(node.lineno)
    return sorted(set(lines))


def campaign_status_writes(source: str) -> list[int]:
    return status_writes(source, "campaign")


def _is_status_setattr(node, _about):
    """setattr(campaign, "status", ...) written out by name."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
        return False
    if node.func.id != "setattr" or len(node.args) < 2:
        return False
    name = node.args[1]
    return isinstance(name, ast.Constant) and name.value in STATUS_FIELDS and _about(node.args[0])


def _strings(node: ast.AST) -> set[str]:
    return {n.value for n in ast.walk(node) if isinstance(n, ast.Constant)}


@pytest.mark.parametrize(
    "source",
    [
        "campaign.status = 'RECOVERED'",
        "Campaign.objects.filter(pk=1).update(status='RECOVERED')",
        "Campaign.objects.filter(pk=1).update(**fields)",
        "campaign.save(update_fields=['status'])",
        "setattr(campaign, 'status', target)",
        "self.campaign.is_active = False",
    ],
)
def test_the_check_sees_each_way_of_writing_a_campaign_status(source):
    assert campaign_status_writes(source) == [1]


def test_the_check_leaves_other_writes_alone():
    source = (
        "appointment.status = 'cancelled'\n"
        "Appointment.objects.filter(pk=1).update(status='completed')\n"
        "campaign.save(update_fields=['engagement_summary'])\n"
    )
    assert campaign_status_writes(source) == []


def test_only_the_status_door_writes_a_campaign_status():
    offenders = [
        f"{path}:{line}"
        for path, source in product_modules()
        if path != CAMPAIGN_STATUS_DOOR
        for line in campaign_status_writes(source)
    ]
    assert offenders == [], "campaign status written outside campaigns/status.campaign_move"


@pytest.mark.parametrize(
    "source",
    [
        "appointment.status = 'cancelled'",
        "Appointment.objects.filter(pk=1).update(status='completed')",
        "self.appointment.save(update_fields=['status'])",
    ],
)
def test_the_check_sees_each_way_of_writing_an_appointment_status(source):
    assert status_writes(source, "appointment") == [1]


def test_only_the_status_door_writes_an_appointment_status():
    offenders = [
        f"{path}:{line}"
        for path, source in product_modules()
        if path != APPOINTMENT_STATUS_DOOR
        for line in status_writes(source, "appointment")
    ]
    assert offenders == [], (
        "appointment status written outside appointments/status.appointment_move"
    )


def test_the_admin_changes_an_appointment_status_only_through_its_actions():
    from appointments.admin import AppointmentAdminForm

    assert "status" not in AppointmentAdminForm.Meta.fields
