"""Browser tests: pytest + Playwright driving Debian's Chromium (/usr/bin/chromium, installed by
`make browser`), never a browser Playwright downloads. Against pytest-django's live server."""

from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.management import call_command

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
DEMO_EMAIL = "manager@demo.clinic"
DEMO_PASSWORD = "demo-password-123"  # the published demo login (demo)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: run `make browser` (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread while it is open, and the
    # tests use the database between browser steps. Set for this module only: left set, it
    # would fail `check --deploy` in the subprocesses of later tests.
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser):
    """Pages in contexts of their own (separate cookies: a staff member, a patient). Every page
    runs under the site's Content-Security-Policy: anything it refuses fails the test."""
    contexts = []
    refused: list[str] = []

    def watch(message) -> None:
        if "Content Security Policy" in message.text:
            refused.append(message.text)

    def make(*, mobile: bool = False):
        context = browser.new_context(
            viewport={"width": 390, "height": 844} if mobile else {"width": 1280, "height": 900},
            is_mobile=mobile,
            has_touch=mobile,
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.on("console", watch)
        return page

    yield make
    for context in contexts:
        context.close()
    assert not refused, refused


@pytest.fixture
def demo(transactional_db, live_server, demo_fixture):
    cache.clear()
    call_command("loaddata", str(demo_fixture), verbosity=0)
    yield live_server
    cache.clear()


@pytest.fixture
def screenshot():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> None:
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    return take


def log_in(page, base_url: str) -> None:
    page.goto(f"{base_url}/")
    page.get_by_label("Email").fill(DEMO_EMAIL)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base_url}/")
