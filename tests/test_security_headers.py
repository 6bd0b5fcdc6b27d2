"""The Content-Security-Policy every page carries (django-csp) and what lets the pages live
under it: no inline script or event handler in any template (the browser tests run the
dashboard, htmx and /book/ under the policy and fail on anything it refuses)."""

import re
from pathlib import Path

import pytest
from django.conf import settings

TEMPLATES = Path(settings.BASE_DIR) / "templates"
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/login/", "/book/", "/api/v1/docs"])
def test_pages_carry_a_policy_that_allows_this_site_only(client, path):
    policy = client.get(path)["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())

    assert directives["script-src"] == "'self'"
    assert directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"


def test_no_template_has_an_inline_script_or_event_handler():
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text()
        assert not INLINE_HANDLER.search(text), template
        assert not INLINE_SCRIPT.search(text), template
