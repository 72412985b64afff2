"""Playwright on the system Chromium (no browser download). Screenshots go to test-artifacts/.

Without Chromium the browser tests skip with instructions, except where BROWSER_TESTS=required
(CI), where they fail.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import PASSWORD

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium() -> str | None:
    return (
        os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    )


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    executable = _chromium()
    if executable is None:
        message = "Chromium not found: install Debian's 'chromium' package (or set CHROMIUM=path)."
        if os.environ.get("BROWSER_TESTS") == "required":
            pytest.fail(message)
        pytest.skip(message)
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls made by the
    # test itself are still synchronous and safe.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server, request) -> Iterator[object]:
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


def new_page(browser, live_server, **context_options: object):
    """A page in a browser context of its own: another person, with their own cookies."""
    page = browser.new_context(base_url=live_server.url, **context_options).new_page()
    page.set_default_timeout(10_000)
    return page


def sign_in(page, email: str, *, wait_for: str | None = "**/o/**") -> None:
    """Sign in through the form; wait for the organisation page unless ``wait_for`` is None
    (a second step, such as a code from an authenticator app, comes next)."""
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    if wait_for is not None:
        page.wait_for_url(wait_for)
