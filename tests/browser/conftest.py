"""Real Chromium for tests of web pages, driven by Playwright.

Debian's Chromium is launched directly (``playwright install`` is never needed). Without the
browser or the ``playwright`` package a test skips loudly on a laptop and fails on CI.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.support import need

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = Path(os.environ.get("BILTEN_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
# Where a test may save screenshots of what it saw (BILTEN_SCREENSHOTS=docs/screenshots).
SCREENSHOTS = os.environ.get("BILTEN_SCREENSHOTS")


@pytest.fixture(scope="package")
def chromium() -> Iterator[Browser]:
    """One headless Chromium for the browser tests of this package."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        need(False, "the playwright Python package (pip install -e '.[dev]')")
        raise
    need(CHROMIUM.exists(), f"Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    """A fresh browser profile (no cookies) with a laptop-sized window."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    try:
        yield tab
    finally:
        context.close()


def save_screenshot(tab: Page, name: str, full_page: bool = True) -> Path | None:
    """Save what the page shows as ``name`` under $BILTEN_SCREENSHOTS, when that is set."""
    if not SCREENSHOTS:
        return None
    path = Path(SCREENSHOTS) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(path), full_page=full_page)
    return path
