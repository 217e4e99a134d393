"""A real gunicorn server with two workers (issue 14 §4): its request lines
on stderr, the metrics summed over its workers whichever answers the scrape,
the same text from ``flask metrics serve``'s app, and LG2 over a server's
output (``tests/live_server.LogLines``)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from werkzeug.test import Client

from portal.metrics_cli import metrics_wsgi_app
from tests.live_server import ROOT, LogLines, free_port
from tests.observe.scrape import BEARER, TOKEN, samples, value
from tests.observe.test_metrics import RECORD

HOOKS = """from portal import metrics
on_starting = metrics.on_starting
child_exit = metrics.child_exit
"""
TRACKING_TOKEN = "AbCdEfGhIjKlMnOpQrStUv"
HEALTHZ = {"route": "/healthz", "method": "GET", "status": "200"}


def get(url: str, headers: dict | None = None) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(
            urllib.request.Request(url, headers=headers or {}), timeout=10
        ) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def start_gunicorn(tmp: Path) -> tuple[str, Path, LogLines, subprocess.Popen]:
    """Two gthread workers sharing a multiprocess directory that held an
    earlier run's counts (``on_starting`` clears them)."""
    multiproc = tmp / "metrics"
    multiproc.mkdir()
    env = {**os.environ, "PORTAL_ENV": "testing", "PROMETHEUS_MULTIPROC_DIR": str(multiproc)}
    subprocess.run([sys.executable, "-c", RECORD, "3"], env=env, cwd=ROOT, check=True)
    stale = list(multiproc.iterdir())
    (tmp / "hooks.py").write_text(HOOKS)
    port = free_port()
    command = [str(ROOT / ".venv/bin/gunicorn"), "app:app", "-c", str(tmp / "hooks.py")]
    command += ["--bind", f"127.0.0.1:{port}", "--workers", "2", "--worker-class", "gthread"]
    proc = subprocess.Popen(
        [*command, "--threads", "2", "--no-control-socket"],
        cwd=ROOT,
        env={**env, "METRICS_TOKEN": TOKEN},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    log = LogLines(proc.stderr)
    url, up = f"http://127.0.0.1:{port}", False
    deadline = time.monotonic() + 90
    while not up:
        try:
            up = get(url + "/healthz")[0] == 200
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError("".join(log.finish())) from None
            time.sleep(0.1)
    assert stale and not any(path.exists() for path in stale)
    return url, multiproc, log, proc


def healthz_count(text: str) -> float:
    return value(samples(text), "portal_http_requests_total", **HEALTHZ)


def test_a_two_worker_server(app, tmp_path, monkeypatch):
    """One server for all of it (a gunicorn start costs seconds)."""
    url, multiproc, log, proc = start_gunicorn(tmp_path)
    try:
        # The counts are summed over the workers, whichever answers the scrape.
        first = healthz_count(get(url + "/metrics", BEARER)[1].decode())
        for _ in range(20):
            assert get(url + "/healthz")[0] == 200
        for _ in range(4):
            status, body = get(url + "/metrics", BEARER)
            assert (status, healthz_count(body.decode())) == (200, first + 20)
        assert get(url + "/metrics")[0] == 401

        # ``flask metrics serve``'s app reads the same directory: the same counts.
        monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(multiproc))
        monkeypatch.setitem(app.config, "METRICS_TOKEN", TOKEN)
        scraper = Client(metrics_wsgi_app(app))
        assert scraper.get("/metrics").status_code == 401
        response = scraper.get("/metrics", headers=BEARER)
        assert response.status_code == 200
        assert healthz_count(response.get_data(as_text=True)) == first + 20
        assert scraper.get("/other", headers=BEARER).status_code == 404

        # A JSON line per request on stderr, by rule, never the raw path.
        assert get(url + f"/t/{TRACKING_TOKEN}")[0] == 404
        assert get(url + "/")[0] == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    lines = [json.loads(line) for line in log.finish() if line.startswith("{")]
    requests = [e for e in lines if e.get("event") == "request"]
    seen = [(e["route"], e["method"], e["status"]) for e in requests]
    assert ("/t/<token>", "GET", 404) in seen
    assert ("/", "GET", 200) in seen
    assert all(len(e["request_id"]) == 18 and e["latency_ms"] >= 0 for e in requests)
    assert not any(TRACKING_TOKEN in line for line in log.lines)
    assert not any(e["route"] == "/healthz" for e in requests)  # probes: counted, not logged
    log.assert_no_nik("gunicorn")


def test_the_metrics_server_refuses_to_start_without_the_directory(app, monkeypatch):
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    result = app.test_cli_runner().invoke(args=["metrics", "serve", "--port", "0"])
    assert result.exit_code != 0
    assert "PROMETHEUS_MULTIPROC_DIR" in result.output


def test_a_sixteen_digit_run_in_a_server_s_output_fails(tmp_path):
    """The LG2 check over a subprocess's output can fail."""
    proc = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stderr.write('nik 3201011503800001\\n')"],
        stderr=subprocess.PIPE,
    )
    log = LogLines(proc.stderr)
    proc.wait(10)
    with pytest.raises(AssertionError, match="16-digit run"):
        log.assert_no_nik("a server")
