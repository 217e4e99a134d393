"""Two app servers and two workers on one database and one Redis, as in
production beyond one machine (DESIGN.md §7): each server a plain gunicorn
(``gunicorn app:app`` with command-line options only, on a port of its own),
each worker ``flask worker``. And an HTTP client with the Flask test client's
calls, so the journey and login helpers of the other tests drive real servers.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import requests

from tests.live_server import free_port

ROOT = Path(__file__).resolve().parents[2]
#: Bounds for waiting, not timings under test: generous on a loaded machine.
START_WAIT, STOP_WAIT = 120, 30


class Answer:
    """A ``requests`` response with the test client response's attributes."""

    def __init__(self, response: requests.Response) -> None:
        self.status_code = response.status_code
        self.headers = response.headers
        self.data = response.content
        self.text = response.text


class HttpClient:
    """``get``/``post`` as the Flask test client takes them (redirects not
    followed unless asked), over HTTP with a cookie jar of its own."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.session = requests.Session()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *_exc) -> None:
        self.session.close()  # no kept-alive connection holds a server thread

    def get(self, path: str, *, follow_redirects: bool = False) -> Answer:
        url = self.base_url + path
        return Answer(self.session.get(url, allow_redirects=follow_redirects, timeout=60))

    def post(self, path: str, data=None, *, follow_redirects: bool = False, **kw) -> Answer:
        fields, files = {}, {}
        for name, value in (data or {}).items():
            if isinstance(value, tuple):  # (file object, file name), as the test client takes it
                files[name] = (value[1], value[0])
            else:
                fields[name] = value
        response = self.session.post(
            self.base_url + path,
            data=fields,
            files=files or None,
            allow_redirects=follow_redirects,
            timeout=60,
        )
        return Answer(response)


class Process:
    """A child process whose output goes to files in ``folder``."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], folder: Path) -> None:
        self.name = name
        self.out, self.err = folder / f"{name}.out", folder / f"{name}.err"
        with self.out.open("wb") as out, self.err.open("wb") as err:
            self.proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=err)

    def log(self) -> str:
        return self.err.read_text(errors="replace")

    def check_alive(self) -> None:
        if self.proc.poll() is not None:
            raise RuntimeError(f"{self.name} exited {self.proc.returncode}: {self.log()[-3000:]}")

    def signal(self, signum: int = signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signum)

    def wait(self) -> int | None:
        """The exit code; killed, and None, if it does not stop in time."""
        try:
            return self.proc.wait(timeout=STOP_WAIT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None


def gunicorn(name: str, env: dict[str, str], folder: Path) -> tuple[Process, str]:
    """One app server on a free port; waits until it answers ``/healthz``."""
    port = free_port()
    plain = folder / "plain_gunicorn.py"  # not the repository's gunicorn.conf.py
    plain.write_text("")
    args = [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        str(plain),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "1",
        "--worker-class",
        "gthread",
        "--threads",
        "8",
        "app:app",
    ]
    return Process(name, args, env, folder), f"http://127.0.0.1:{port}"


def flask_worker(name: str, env: dict[str, str], folder: Path) -> Process:
    return Process(name, [sys.executable, "-m", "flask", "--app", "app", "worker"], env, folder)


def wait_until_up(server: Process, url: str) -> None:
    give_up = time.monotonic() + START_WAIT
    while True:
        try:
            urllib.request.urlopen(url + "/healthz", timeout=2).read()
            return
        except OSError:
            server.check_alive()
            if time.monotonic() > give_up:
                raise RuntimeError(f"{server.name} did not start: {server.log()[-3000:]}") from None
            time.sleep(0.1)


def environment(**over: str) -> dict[str, str]:
    """The test session's environment (instance folder with the keys,
    PORTAL_ENV=testing) with ``over``; no mail or SMS is sent."""
    env = {**os.environ, "PORTAL_ENV": "testing", **over}
    for name in ("SMTP_URL", "SMS_GATEWAY_URL"):
        env.pop(name, None)
    return env
