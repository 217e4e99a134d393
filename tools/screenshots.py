"""``make screenshots``: the portal's main pages as a phone and an office PC
show them, in Indonesian and English, as PNGs in ``docs/screenshots/``.

A throwaway demo instance (as ``make run`` sets one up: SQLite, regions, demo
households, tickets and staff accounts) in a temporary directory, served by
gunicorn on a free port, driven by Debian's Chromium through Playwright. The
files are ``docs/screenshots/<lang>/<size>-<page>.png``; the script replaces
them, and removes PNGs there that no row of ``PAGES`` makes any more.

To add a page, add a row to ``PAGES``: where the browser goes (a path, or a
function that clicks on from the page before), as whom, and at which sizes.
Rows of one ``who`` run in order in one browser, so a journey can be spread
over several rows (the resident's request: a question, its error, the
evidence, check answers, the confirmation); when a row fails, the rest of
that ``who``'s rows are skipped, the other rows still run, the old files of
the skipped pages stay and the script exits with 1.

    .venv/bin/python tools/screenshots.py            # every page
    .venv/bin/python tools/screenshots.py home stats # only these (others stay)
"""

from __future__ import annotations

import datetime as dt
import io
import os
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script: the portal and tools packages

from tools.screenshot_demo import Server, demo_env, house_photo, set_up_demo  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
#: As tests/browser/conftest.py launches it.
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]
#: The lang cookie, and the browser's locale (its own date and file inputs).
LANGS = {"id": "id-ID", "en": "en-GB"}
#: Viewport (CSS px, device scale 1: small files) and the tallest a
#: full-page shot may be; longer pages are cut there.
SIZES = {
    "phone": ({"width": 360, "height": 800}, 1800),
    "desktop": ({"width": 1280, "height": 800}, 1400),
}
#: Palette size for the PNGs (median cut keeps the stylesheet's colours exact,
#: where Pillow's fast octree merged its light greys into white): text stays
#: sharp and the files shrink about 3×.
COLOURS = 128
#: Demo staff accounts (portal/staff/accounts.py DEMO_ACCOUNTS) by role.
STAFF = {
    "handler": "handler.demo@example.org",
    "field_officer": "field.demo@example.org",
    "operator": "operator.demo@example.org",
}
SUBMIT = "main button[type=submit]:not([value=upload]):not([value^=remove])"


@dataclass
class Demo:
    """What the steps need to know about the running demo."""

    base: str
    nik: str
    name: str
    photo: Path


# --- steps: each leaves the browser on the page to photograph ------------------


def press(page, selector: str = SUBMIT) -> None:
    page.click(selector)
    page.wait_for_load_state()


def lookup_found(page, demo: Demo) -> None:
    """The demo household that `flask dtsen demo` prints (README's table)."""
    page.goto(demo.base + "/lookup")
    page.fill("#nik", demo.nik)
    page.fill("#name", demo.name)
    press(page)


def open_why(page, demo: Demo) -> None:
    """The lookup result's "Why this result?" opened (issue 15 §3)."""
    page.click("#why summary")


def question_with_errors(page, demo: Demo) -> None:
    """Continue with nothing chosen: the error summary."""
    press(page)
    page.locator(".error-summary").wait_for()


def to_evidence(page, demo: Demo) -> None:
    """A proposal for another household, answered page by page up to the
    evidence page (which pages come depends on what the session knows: after
    a lookup the village is already chosen)."""
    page.check("input[value=other_household]")
    press(page)
    for _ in range(8):
        if page.url.endswith("/evidence"):
            return
        if page.locator("#subject_name").count():
            page.fill("#subject_name", "Siti Aminah")
            page.fill("#subject_address", "Jl. Mawar 5, RT 001/RW 002")
        if page.locator("#village-search").count():
            page.fill("#village-search", "cibinong bogor")
            page.locator(".village-result").first.click()
            page.wait_for_url("**/reasons")
            continue
        if page.locator("input[name=reason_codes]").count():
            page.locator("input[name=reason_codes]").first.check()
            page.fill("#details", "Suami sakit sejak Januari, tidak ada penghasilan tetap.")
        press(page)
    raise RuntimeError(f"the evidence page did not come; at {page.url}")


def dark_photo_warning(page, demo: Demo) -> None:
    """The same house photographed in the dark: the quality check's warning
    (issue 15 §1)."""
    dark = demo.photo.with_name("dark-house.jpg")
    with Image.open(demo.photo) as photo:
        photo.point(lambda v: v * 0.12).save(dark, "JPEG", quality=88)
    page.set_input_files("input[type=file]", str(dark))
    page.select_option("#doc_type", "house_front")
    press(page, "button[value=upload]")
    page.locator(".evidence-quality").wait_for()


def to_check_answers(page, demo: Demo) -> None:
    """A photo of the house, a phone number, the consent: check answers."""
    warned = page.locator(".evidence-quality button[value=remove]")
    if warned.count():  # the dark photo of the row before: retake it
        press(page, ".evidence-quality button[value=remove]")
    page.set_input_files("input[type=file]", str(demo.photo))
    page.select_option("#doc_type", "house_front")
    press(page, "button[value=upload]")
    if page.locator("button[value=keep]").count():  # a photo-quality warning
        press(page, "button[value=keep]")
    press(page, "button[value=continue]")
    page.fill("#contact", "0812 3456 7890")
    press(page)
    page.check("input[name=consent]")
    press(page)


def send(page, demo: Demo) -> None:
    press(page)
    page.wait_for_url("**/submit/sent")


def tracking_link(page, demo: Demo) -> None:
    """The tracking link the confirmation shows (the request just sent)."""
    press(page, "main a[href*='/t/']")


def first_ticket(page, demo: Demo) -> None:
    page.goto(demo.base + "/office/")
    press(page, "main table a[href*='/office/tickets/']")


def first_visit(page, demo: Demo) -> None:
    page.goto(demo.base + "/office/visits")
    press(page, "main a.visit-card-link")


def visit_record(page, demo: Demo) -> None:
    first_visit(page, demo)
    press(page, "main a[href$='/record']")


@dataclass(frozen=True)
class Shot:
    name: str
    #: "resident" or "visitor" (a browser each, no login) or a key of STAFF.
    who: str
    #: A path to open, or a step function(page, demo).
    go: str | Callable
    sizes: tuple[str, ...] = ("phone", "desktop")


PAGES = (
    Shot("home", "resident", "/"),
    Shot("lookup", "resident", "/lookup"),
    Shot("lookup-result", "resident", lookup_found),
    Shot("lookup-why", "resident", open_why),
    Shot("choose-request", "resident", "/submit"),
    Shot("question", "resident", "/submit/proposal"),
    Shot("question-error", "resident", question_with_errors),
    Shot("evidence", "resident", to_evidence),
    Shot("evidence-warning", "resident", dark_photo_warning),
    Shot("check-answers", "resident", to_check_answers),
    Shot("confirmation", "resident", send),
    Shot("tracking", "resident", tracking_link),
    Shot("stats", "visitor", "/stats"),
    Shot("track", "visitor", "/track"),
    Shot("office-login", "visitor", "/office/login"),
    Shot("office-queue", "handler", "/office/"),
    Shot("office-ticket", "handler", first_ticket),
    Shot("office-visits", "field_officer", "/office/visits", ("phone",)),
    Shot("office-visit-record", "field_officer", visit_record, ("phone",)),
    Shot("office-assist", "operator", "/office/assist"),
)


# --- the browser ---------------------------------------------------------------


def log_in(browser, base: str, email: str, credentials: Path) -> dict:
    """Password and TOTP code of a demo account, once per run (a code's step
    is accepted once): the session's storage state, for every later context."""
    from portal.staff import totp
    from portal.staff.accounts import read_demo_credentials

    password, secret = read_demo_credentials(credentials)[email]
    context = browser.new_context()
    page = context.new_page()
    page.goto(base + "/office/login")
    page.fill("#email", email)
    page.fill("#password", password)
    press(page, "main form[action$='/office/login'] button[type=submit]")
    page.wait_for_url("**/office/login/code")
    page.fill("#code", totp.current_code(secret, dt.datetime.now(dt.UTC)))
    press(page, "main form[action$='/office/login/code'] button[type=submit]")
    if "/office/login" in page.url:
        raise RuntimeError(f"{email} could not log in")
    state = context.storage_state()
    context.close()
    return state


def log_in_all(browser, base: str, instance: Path) -> tuple[dict, list[str]]:
    """Each demo account PAGES needs, logged in: role → storage state (None
    when the login failed: that role's pages are skipped), and the failures."""
    credentials = instance / "demo-credentials.txt"
    logins, failures = {}, []
    for who, email in STAFF.items():
        if any(shot.who == who for shot in PAGES):
            try:
                logins[who] = log_in(browser, base, email, credentials)
            except Exception as error:  # noqa: BLE001 - reported; the other pages go on
                logins[who] = None
                failures.append(f"log in as {who}: {str(error).splitlines()[0]}")
                print(f"  FAILED {failures[-1]}", flush=True)
    return logins, failures


def save(page, path: Path, max_height: int) -> int:
    """A full-page shot cut at ``max_height``, as a palette PNG: its size."""
    width, height = page.evaluate(
        "() => [window.innerWidth, document.documentElement.scrollHeight]"
    )
    clip = {"x": 0, "y": 0, "width": width, "height": min(height, max_height)}
    png = page.screenshot(full_page=True, clip=clip, animations="disabled")
    image = Image.open(io.BytesIO(png)).convert("RGB")
    image = image.quantize(COLOURS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, optimize=True)
    return path.stat().st_size


def shoot(browser, demo: Demo, logins: dict, lang: str, size: str, wanted) -> list[str]:
    """Every row of PAGES at one size in one language; the failures."""
    viewport, max_height = SIZES[size]
    contexts, broken, failures = {}, set(), []
    try:
        for shot in PAGES:
            if size not in shot.sizes or shot.who in broken:
                continue
            if shot.who in STAFF and logins[shot.who] is None:
                continue  # the login failed (reported once)
            if shot.who not in contexts:
                state = logins.get(shot.who)
                context = browser.new_context(
                    viewport=viewport, locale=LANGS[lang], storage_state=state
                )
                context.add_cookies([{"name": "lang", "value": lang, "url": demo.base}])
                context.set_default_timeout(15_000)
                contexts[shot.who] = context.new_page()
            page = contexts[shot.who]
            path = OUT / lang / f"{size}-{shot.name}.png"
            try:
                if callable(shot.go):
                    shot.go(page, demo)
                else:
                    page.goto(demo.base + shot.go)
                page.wait_for_load_state()
                page.evaluate("() => document.fonts.ready")
                if wanted and shot.name not in wanted:
                    continue
                kib = save(page, path, max_height) / 1024
                print(f"  {path.relative_to(ROOT)}  {kib:.0f} KiB", flush=True)
            except Exception as error:  # noqa: BLE001 - reported; this who's journey stops
                broken.add(shot.who)
                failures.append(f"{lang}/{size}-{shot.name}: {str(error).splitlines()[0]}")
                print(f"  FAILED {failures[-1]}", flush=True)
    finally:
        for page in contexts.values():
            page.context.close()
    return failures


def remove_stale() -> None:
    """PNGs no row makes any more (a page renamed or dropped)."""
    made = {
        OUT / lang / f"{size}-{shot.name}.png"
        for shot in PAGES
        for size in shot.sizes
        for lang in LANGS
    }
    for path in OUT.glob("*/*.png"):
        if path not in made:
            print(f"  removed {path.relative_to(ROOT)}")
            path.unlink()


def main(wanted: list[str]) -> int:
    from playwright.sync_api import sync_playwright

    unknown = set(wanted) - {shot.name for shot in PAGES}
    if unknown:
        raise SystemExit(f"no such page in PAGES: {', '.join(sorted(unknown))}")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="portal-screenshots-") as tmp:
        tmp = Path(tmp)
        env = demo_env(tmp / "instance")
        print(f"demo instance in {tmp}", flush=True)
        nik, name = set_up_demo(env, tmp / "setup.log")
        print(f"demo data ready after {time.monotonic() - started:.0f} s", flush=True)
        server = Server(env, tmp / "server.log")
        try:
            demo = Demo(server.base, nik, name, house_photo(tmp / "rumah-depan.jpg"))
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                logins, failures = log_in_all(browser, demo.base, tmp / "instance")
                for lang in LANGS:
                    for size in SIZES:
                        failures += shoot(browser, demo, logins, lang, size, set(wanted))
                browser.close()
        finally:
            server.stop()
    if not wanted and not failures:
        remove_stale()
    total = sum(path.stat().st_size for path in OUT.glob("*/*.png"))
    print(f"docs/screenshots: {total / 1024:.0f} KiB in all, {time.monotonic() - started:.0f} s")
    if failures:
        print(f"{len(failures)} page(s) failed; their old files are left as they were:")
        print("\n".join(f"  {failure}" for failure in failures))
        return 1
    return 0


if __name__ == "__main__":
    # SIGTERM (make interrupted, CI cancelled) unwinds like Ctrl-C: the
    # server is stopped and the temporary directory removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sys.exit(main(sys.argv[1:]))
