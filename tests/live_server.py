"""A real server process for tests that need one (several processes, a
browser): ``flask run`` on a free port, with the test session's instance
folder and database, so data the tests import is what the server sees.

Its log lines (stderr: one JSON line per request, portal/logs.py) are read
as they come, so the pipe never fills and stalls the server, and checked
when it stops: the autouse ``no_nik_in_logs`` fixture only sees this
process's records, so a 16-digit run in a server's log fails here (LG2)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: As tests/conftest.py's: a NIK-length digit run (SECURITY.md LG2).
SIXTEEN_DIGITS = re.compile(r"(?<!\d)\d{16}(?!\d)")


class LogLines:
    """A process's output read line by line as it comes (a drained pipe)."""

    def __init__(self, stream) -> None:
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream) -> None:
        for raw in stream:
            self.lines.append(raw.decode("utf-8", "replace"))

    def finish(self, timeout: float = 5) -> list[str]:
        self._thread.join(timeout)
        return self.lines

    def assert_no_nik(self, what: str) -> None:
        """LG2 over the whole output (call once the process has ended)."""
        found = [line for line in self.finish() if SIXTEEN_DIGITS.search(line)]
        assert not found, f"16-digit run in {what}'s log: {len(found)} line(s)"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, env: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        full_env = {**os.environ, "PORTAL_ENV": "testing", **env}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "app", "run", "--port", str(self.port)],
            cwd=ROOT,
            env=full_env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self.log = LogLines(self.proc.stderr)
        # generous: importing the app takes seconds, and much longer on a busy machine
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url + "/healthz", timeout=1).read()
                return
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError("".join(self.log.finish())) from None
                time.sleep(0.1)
        raise RuntimeError("server did not start")

    def post_lookup(self, headers: dict[str, str] | None = None) -> urllib.response:
        """A POST without a CSRF token: refused with 400, but counted per address."""
        req = urllib.request.Request(
            self.url + "/lookup", data=b"nik=1&name=x", method="POST", headers=headers or {}
        )
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r
        except urllib.error.HTTPError as e:
            return e

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)
        self.log.assert_no_nik(f"the server on port {self.port}")


@pytest.fixture
def servers():
    """``start(**env)`` starts a server; all are stopped after the test."""
    started: list[Server] = []

    def start(**env) -> Server:
        server = Server(env)
        started.append(server)
        return server

    yield start
    for s in started:
        s.stop()
