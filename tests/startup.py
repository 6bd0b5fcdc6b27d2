"""Starting Django in a child process with a given environment: how a bad setting is seen,
since settings are read once, at start-up."""

import os
import subprocess
import sys

from django.conf import settings


def django_start(environment: dict[str, str]) -> subprocess.CompletedProcess:
    """`django.setup()` in a fresh interpreter with `environment` over this one's."""
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=settings.BASE_DIR,
        env={**os.environ, **environment, "DJANGO_SETTINGS_MODULE": "dentalai.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )


def refused_naming(environment: dict[str, str], name: str) -> bool:
    """Whether start-up stopped with ImproperlyConfigured naming `name`."""
    started = django_start(environment)
    return (
        started.returncode != 0
        and "ImproperlyConfigured" in started.stderr
        and (name in started.stderr)
    )
