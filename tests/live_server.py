"""A real server process for tests that need one (several processes, a
browser): ``flask run`` on a free port, with the test session's instance
folder and database, so data the tests import is what the server sees."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


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
        # generous: importing the app takes seconds, and much longer on a busy machine
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url + "/healthz", timeout=1).read()
                return
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError(self.proc.stderr.read().decode()) from None
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
