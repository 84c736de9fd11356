"""Browser tests: the real pages in headless Chromium, driven by Playwright.

They need the system's Chromium (/usr/bin/chromium; `.ci/run` installs it from
the system packages). Where there is none they are skipped with that reason.
A screenshot of every page visited is kept under var/screenshots/.
"""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("PORTAL_CHROMIUM") or shutil.which("chromium") or ""
SCREENSHOTS = Path(__file__).resolve().parent.parent.parent / "var" / "screenshots"

# Playwright's sync API runs an event loop in the test's thread; the test body
# still talks to the database synchronously, which Django allows once told.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM:
        pytest.skip("no Chromium on this machine (install the system package chromium)")
    playwright_api = pytest.importorskip("playwright.sync_api")

    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, base_url=live_server.url
    )
    page = context.new_page()
    yield page
    context.close()


def keep_screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
