"""Debian's Chromium, driven through Playwright (its own browser download is
not used: ``CHROMIUM_PATH``, default ``/usr/bin/chromium``)."""

from __future__ import annotations

import os
import shutil

import pytest

from tests.services import missing

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    """One Chromium per xdist worker for the whole session (each test opens
    contexts of its own, so no cookie or storage crosses tests): launching it
    per module cost a second or more per browser test file on CI's busy cores."""
    if not shutil.which(CHROMIUM):
        missing("Chromium", f"at {CHROMIUM} (make test installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture(autouse=True)
def close_left_contexts(request):
    """A browser test that fails half-way leaves its contexts open: close
    them, so the next test on this worker's Chromium starts from none."""
    yield
    if "browser" in request.fixturenames:
        for context in list(request.getfixturevalue("browser").contexts):
            context.close()


def choose_village_step_by_step(page) -> None:
    """The village picker without JavaScript: one list per level, one page each."""
    for level, value in (
        ("province", "32"),
        ("regency", "32.01"),
        ("district", "32.01.01"),
        ("village", "32.01.01.1006"),
    ):
        page.select_option(f"#{level}", value)
        page.click("button[type=submit]")
        page.wait_for_load_state()
