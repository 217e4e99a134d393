"""The throwaway demo instance ``make screenshots`` photographs
(tools/screenshots.py): set up as ``make run`` sets one up (SQLite, regions,
demo households, tickets and staff accounts) in a directory of the caller's,
served by gunicorn on a free port in a session of its own, so stopping it
ends its workers too and nothing is left running."""

from __future__ import annotations

import io
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
#: As `make run` (Makefile): migrations, regions, demo data, the figures.
DEMO_SETUP = (
    ["db", "upgrade"],
    ["regions", "load"],
    ["templates", "seed"],
    ["staff", "demo"],
    ["dtsen", "demo"],
    ["tickets", "demo"],
    ["tickets", "performance-refresh"],
    ["stats", "refresh"],
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def demo_env(instance: Path) -> dict[str, str]:
    """A development instance of its own: none of the caller's database,
    keys, Redis or captcha settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_", "HCAPTCHA_"))}
    for name in ("DATABASE_URL", "REDIS_URL", "SMTP_URL", "SMS_GATEWAY_URL"):
        env.pop(name, None)
    return {**env, "PORTAL_ENV": "development", "PORTAL_INSTANCE_PATH": str(instance)}


def set_up_demo(env: dict[str, str], log: Path) -> tuple[str, str]:
    """Migrate and load the demo data; the household to look up (NIK, name)."""
    with log.open("w") as out:
        for args in DEMO_SETUP:
            command = [str(VENV_BIN / "flask"), "--app", "app", *args]
            done = subprocess.run(command, cwd=ROOT, env=env, stdout=out, stderr=out)  # noqa: S603
            if done.returncode:
                raise SystemExit(f"flask {' '.join(args)} failed:\n{tail(log)}")
    found = re.search(r"found: +NIK (\d{16}) +name (\S+)", log.read_text())
    if not found:
        raise SystemExit(f"`flask dtsen demo` printed no household to look up:\n{tail(log)}")
    return found[1], found[2]


def tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


class Server:
    """gunicorn in a session of its own, so stopping it ends its workers too."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        command = [str(VENV_BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}"]
        command += ["--worker-class", "gthread", "--workers", "1", "--threads", "4"]
        command += ["--no-control-socket", "app:app"]
        env = {**env, "PORTAL_PUBLIC_BASE_URL": self.base}
        with log.open("w") as out:
            self.proc = subprocess.Popen(  # noqa: S603 - our own gunicorn
                command, cwd=ROOT, env=env, stdout=out, stderr=out, start_new_session=True
            )
        try:
            self._wait(log)
        except BaseException:  # not serving, or Ctrl-C while it starts: stop it
            self.stop()
            raise

    def _wait(self, log: Path) -> None:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(self.base + "/healthz", timeout=2).read()  # noqa: S310
                return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"the server did not start:\n{tail(log)}") from None
                time.sleep(0.3)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def house_photo(path: Path) -> Path:
    """A sharp, evenly lit 1200×900 'photo' (a house drawn with edges), so a
    photo-quality check has nothing to warn about."""
    image = Image.new("RGB", (1200, 900), (150, 190, 220))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 650, 1200, 900), fill=(90, 140, 70))
    draw.rectangle((300, 350, 900, 700), fill=(200, 170, 130), outline=(60, 40, 30), width=8)
    draw.polygon([(260, 360), (600, 120), (940, 360)], fill=(160, 60, 40), outline=(60, 20, 10))
    draw.rectangle((540, 500, 660, 700), fill=(90, 60, 40), outline=(30, 20, 10), width=6)
    for x in (360, 720):
        draw.rectangle((x, 430, x + 120, 530), fill=(230, 240, 250), outline=(40, 40, 40), width=6)
    for y in range(0, 650, 40):
        draw.line((0, y, 1200, y + 30), fill=(140, 180, 210), width=2)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88)
    path.write_bytes(out.getvalue())
    return path
