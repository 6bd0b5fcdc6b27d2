"""The apps' layers (docs/ARCHITECTURE.md): `lint-imports` checks that no app imports a higher
one (pyproject.toml, run by `make lint`); this keeps the imports it cannot see honest — an
import inside a function is where a cycle would hide, so each one says why it is there."""

import ast
from pathlib import Path

from django.conf import settings

PROJECT_PACKAGES = {
    "dentalai",
    "patients",
    "appointments",
    "campaigns",
    "messaging",
    "agent",
    "dashboard",
    "booking",
    "demo",
}


def _imported(node: ast.AST) -> list[str]:
    if isinstance(node, ast.ImportFrom) and node.module:
        return [node.module]
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    return []


def unexplained_function_imports(source: str) -> list[int]:
    """Lines of project imports inside a function without a comment on the line, the line
    above, or in the function's docstring saying why."""
    lines = source.splitlines()
    found = []
    for function in ast.walk(ast.parse(source)):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        docstring = (ast.get_docstring(function) or "").lower()
        for node in ast.walk(function):
            modules = _imported(node)
            if not any(m.split(".")[0] in PROJECT_PACKAGES for m in modules):
                continue
            here, above = lines[node.lineno - 1], lines[node.lineno - 2]
            if "#" in here or above.strip().startswith("#") or "import" in docstring:
                continue
            found.append(node.lineno)
    return found


def test_every_function_level_import_of_our_code_says_why():
    root = Path(settings.BASE_DIR)
    found = {}
    for package in PROJECT_PACKAGES:
        for path in (root / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            lines = unexplained_function_imports(path.read_text())
            if lines:
                found[str(path.relative_to(root))] = lines
    assert found == {}


def test_the_check_sees_an_unexplained_import_and_accepts_an_explained_one():
    source = '''
def quiet():
    from campaigns.models import Campaign

def explained():
    # Imported here: the registry is not ready at module import.
    from campaigns import receivers

def commented():
    from agent.brains.openai import OpenAIBrain  # only when chosen

def said_in_the_docstring():
    """Each brain is imported when chosen."""
    from agent.brains.offline import OfflineBrain

def library():
    import json
'''
    assert unexplained_function_imports(source) == [3]
