"""Each state change that matters has one door (CONVENTIONS "One door"): these read the product's
source and fail when a module outside the door writes what only the door may write."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("dentalai", "patients", "appointments", "campaigns", "messaging", "agent", "dashboard")
APPS += ("booking",)
CAMPAIGN_STATUS_DOOR = "campaigns/status.py"
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


def _about_campaigns(node: ast.AST) -> bool:
    return any("campaign" in name.lower() for name in _names(node))


def campaign_status_writes(source: str) -> list[int]:
    """Lines that assign, update or save a campaign's status."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if (
                    isinstance(target, ast.Attribute)
                    and target.attr in STATUS_FIELDS
                    and _about_campaigns(target.value)
                ):
                    lines.append(node.lineno)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            keywords = {k.arg for k in node.keywords}
            method = node.func.attr
            if method == "update" and keywords & STATUS_FIELDS and _about_campaigns(node.func):
                lines.append(node.lineno)
            if method == "update" and None in keywords and _about_campaigns(node.func):
                lines.append(node.lineno)  # **fields could hold the status
            if method == "save" and _about_campaigns(node.func.value):
                for keyword in node.keywords:
                    if keyword.arg == "update_fields" and STATUS_FIELDS & _strings(keyword.value):
                        lines.append(node.lineno)
        elif _is_status_setattr(node):
            lines.append(node.lineno)
    return sorted(set(lines))


def _is_status_setattr(node):
    """setattr(campaign, "status", ...) written out by name."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
        return False
    if node.func.id != "setattr" or len(node.args) < 2:
        return False
    name = node.args[1]
    return (
        isinstance(name, ast.Constant)
        and name.value in STATUS_FIELDS
        and _about_campaigns(node.args[0])
    )


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
