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


@pytest.fixture(scope="module")
def browser():
    if not shutil.which(CHROMIUM):
        missing("Chromium", f"at {CHROMIUM} (make test installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


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
