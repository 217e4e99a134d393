"""A production-like server for the serving tests: gunicorn with
``gunicorn.conf.py`` (the shedding worker) on a free port, on the test
session's database and instance folder (the environment conftest set), in a
process group of its own so a test can SIGKILL master and workers at once.
Also a client that speaks the Flask test client's dialect over real HTTP, so
``tests.web.journeys`` walks a journey against the real server."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.live_server import free_port

ROOT = Path(__file__).resolve().parents[2]
#: A bound for waiting on start, not a timing under test: the machine is shared.
START_WAIT = 90


class Gunicorn:
    def __init__(
        self,
        log: Path,
        *,
        workers: int,
        threads: int,
        args: tuple[str, ...] = (),
        prefix: tuple[str, ...] = (),
        **env: str,
    ) -> None:
        self.log = log
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "PORTAL_ENV": "testing", **env}
        # memory:// limits, per process: the tests here do not share a Redis
        self.env.pop("REDIS_URL", None)
        self.args = [
            *prefix,
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            str(ROOT / "gunicorn.conf.py"),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            *args,
            "app:app",
        ]
        self.proc: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                self.args,
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + START_WAIT
        while time.monotonic() < deadline:
            try:
                if status_of(self.port, "/healthz", timeout=2) == 200:
                    return
            except OSError:
                pass
            if self.proc.poll() is not None:
                raise RuntimeError(self.log.read_text()[-3000:])
            time.sleep(0.1)
        self.kill()
        raise RuntimeError("gunicorn did not start: " + self.log.read_text()[-3000:])

    def workers(self) -> list[int]:
        """The worker processes' ids (children of the master)."""
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.proc.pid:
                found.append(int(stat.parent.name))
        return found

    def rss_kib(self) -> int:
        """Resident memory of master and workers together."""
        total = 0
        for pid in [self.proc.pid, *self.workers()]:
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            total += int(status.split("VmRSS:")[1].split()[0])
        return total

    def kill(self) -> None:
        """SIGKILL to master and workers at once: no handler runs."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(30)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()


def status_of(port: int, path: str, timeout: float = 60) -> int:
    """GET ``path`` with ``Connection: close`` and read until the server closes.

    The server closes the socket only after its main loop has taken the
    connection back from the thread pool, so once this returns the request
    no longer counts as pending work (the shedding tests rely on that)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        head = f"GET {path} HTTP/1.1\r\nHost: portal.test\r\nConnection: close\r\n\r\n"
        sock.sendall(head.encode())
        return int(read_to_end(sock).split(b" ", 2)[1])


def read_to_end(sock: socket.socket) -> bytes:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


class HttpClient:
    """``get``/``post`` as the Flask test client has them (``data=`` with
    lists and ``(file, name)`` tuples, no redirects followed, ``.data`` and
    ``.text`` on the answer), over HTTP with a cookie jar of its own."""

    def __init__(self, base_url: str, timeout: float = 60) -> None:
        self.base_url = base_url
        self.timeout = timeout
        self.http = requests.Session()

    def get(self, path: str, **_kw) -> requests.Response:
        return self._answer(self.http.get(self.base_url + path, **self._common()))

    def post(self, path: str, data: dict | None = None, **_kw) -> requests.Response:
        fields, files = [], []
        for name, value in (data or {}).items():
            if isinstance(value, tuple) and len(value) == 2 and hasattr(value[0], "read"):
                files.append((name, (value[1], value[0].read())))
            elif isinstance(value, list | tuple):
                fields += [(name, v) for v in value]
            else:
                fields.append((name, value))
        response = self.http.post(
            self.base_url + path, data=fields, files=files or None, **self._common()
        )
        return self._answer(response)

    def _common(self) -> dict:
        return {"allow_redirects": False, "timeout": self.timeout}

    @staticmethod
    def _answer(response: requests.Response) -> requests.Response:
        response.data = response.content  # the test client's name for the body
        return response
