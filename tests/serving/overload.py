"""Helpers for the overload test and bench/shed_bench.py: wrk runs with
tests/serving/load.lua, and a resident who keeps sending proposals through an
overloaded server, retrying each page the server sheds or limits."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import threading
import time
from pathlib import Path

from tests.factories import VILLAGE
from tests.serving.gunicorn_server import HttpClient
from tests.web import journeys

LOAD_SCRIPT = Path(__file__).with_name("load.lua")
#: Public pages a disbursement day brings: the home page, the lookup form,
#: /stats, and the village search (60 a minute per address: it answers 429s).
PAGES = ("/", "/lookup", "/stats", "/regions/villages?q=bogor")
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
LEVELS = ("province", "regency", "district", "village")


def wrk(url: str, *, connections: int, seconds: int, pace_ms: int) -> dict:
    """One wrk run, a thread per connection; the figures load.lua prints,
    plus ``rate`` (answers/s)."""
    if shutil.which("wrk") is None:
        raise FileNotFoundError("wrk (Debian package wrk; make test-packages)")
    args = ["wrk", f"-t{connections}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s"]
    args += ["-s", str(LOAD_SCRIPT), url, "--", str(pace_ms), *PAGES]
    out = subprocess.run(args, capture_output=True, text=True, check=True, timeout=seconds + 60)
    [line] = [x for x in out.stdout.splitlines() if x.startswith("PORTAL_RESULT ")]
    result = json.loads(line.removeprefix("PORTAL_RESULT "))
    result["rate"] = result["requests"] / (result["duration_us"] / 1e6)
    return result


class GaveUp(Exception):
    pass


class Resident(threading.Thread):
    """Sends proposals (one photo each) until ``stop`` is set, then finishes
    the one under way. Each page the server sheds (503) or limits (429) is
    tried again after a pause; ``acknowledged`` holds the idempotency key of
    every request the server answered "sent" (303), ``answers`` every
    (status, Retry-After) it got."""

    RETRIES = 60
    PAUSE = 0.5

    def __init__(self, url: str, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.url, self.stop = url, stop
        self.acknowledged: list[str] = []
        self.answers: list[tuple[int, str | None]] = []
        self.failure: BaseException | None = None

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                self.send_one()
        except Exception as exc:  # noqa: BLE001 - the test reports it
            self.failure = exc

    def send_one(self) -> None:
        client = HttpClient(self.url, timeout=30)
        page = self.patient(lambda: client.get("/track"), 200)
        csrf = CSRF.search(page.text).group(1)

        def post(path: str, data: dict, want: int = 302, photo: bool = False):
            def send():
                extra = {"file": (io.BytesIO(journeys.jpeg()), "photo.jpg")} if photo else {}
                return client.post(path, {"csrf_token": csrf, **data, **extra})

            return self.patient(send, want)

        post("/submit/proposal", {"subkind": "other_household"})
        post("/submit/proposal/subject", {"subject_name": "Siti", "subject_address": "Jl. Mawar 5"})
        levels = (VILLAGE[:2], VILLAGE[:5], VILLAGE[:8], VILLAGE)
        for depth in range(1, 5):
            post("/submit/proposal/village", dict(zip(LEVELS[:depth], levels, strict=False)))
        post("/submit/proposal/reasons", {"reason_codes": ["no_income"], "details": "Sakit."})
        upload = {"action": "upload", "doc_type": "house_front"}
        post("/submit/proposal/evidence", upload, photo=True)
        post("/submit/proposal/evidence", {"action": "continue"})
        post("/submit/proposal/contact", {"contact": ""})
        post("/submit/proposal/consent", {"consent": "y"})
        check = self.patient(lambda: client.get("/submit/proposal/check"), 200)
        key = journeys.IDEMPOTENCY.search(check.text).group(1)
        post("/submit/proposal/check", {"idempotency_key": key}, want=303)
        self.acknowledged.append(key)

    def patient(self, send, want: int):
        """``send()`` until it answers ``want``; a 429 or 503 is tried again."""
        for _ in range(self.RETRIES):
            response = send()
            self.answers.append((response.status_code, response.headers.get("Retry-After")))
            if response.status_code == want:
                return response
            if response.status_code not in (429, 503):
                raise AssertionError(f"{response.request.path_url}: {response.status_code}")
            time.sleep(self.PAUSE)
        raise GaveUp(send)
