"""What the per-request log line and metrics cost (issue 14 §4).

A bare GET (a route that returns a short string, through every hook of the
app) through the test client, many times; each request and each call of the
request hook (``logs._request_finished``: the metrics and the JSON line,
written to /dev/null) is timed on its own and the medians are printed, so a
busy machine's preemptions do not count. Two ways in the same run: the hook
as it is, and with the ``portal.request`` logger above INFO (metrics only).
``--multiproc`` sets ``PROMETHEUS_MULTIPROC_DIR`` first, as under gunicorn
with several workers (counts written to memory-mapped files).

    .venv/bin/python bench/request_line_bench.py [--multiproc] 2>/dev/null
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--multiproc", action="store_true")
    parser.add_argument("--requests", type=int, default=3000)
    args = parser.parse_args()
    scratch = tempfile.TemporaryDirectory(prefix="bench-request-line-")  # removed at exit
    if args.multiproc:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = f"{scratch.name}/metrics"
    os.environ["PORTAL_INSTANCE_PATH"] = f"{scratch.name}/instance"
    os.environ["PORTAL_ENV"] = "testing"
    os.environ.pop("DATABASE_URL", None)

    from portal import create_app, logs

    app = create_app({"ENV_NAME": "testing"})
    app.add_url_rule("/bare", "bare", lambda: "ok")
    for handler in logging.getLogger("portal").handlers:
        handler.setStream(open(os.devnull, "w"))  # noqa: SIM115 - for the whole run
    client = app.test_client()
    hook_times: list[float] = []
    hook = logs._request_finished

    def timed_hook(*a, **kw):
        t0 = time.perf_counter()
        hook(*a, **kw)
        hook_times.append(time.perf_counter() - t0)

    # The module-level name the signal calls (connected by name, weakly).
    from flask import request_finished

    request_finished.disconnect(hook)
    request_finished.connect(timed_hook)

    def run() -> tuple[float, float]:
        hook_times.clear()
        requests = []
        for _ in range(args.requests):
            t0 = time.perf_counter()
            client.get("/bare")
            requests.append(time.perf_counter() - t0)
        return statistics.median(requests) * 1e6, statistics.median(hook_times) * 1e6

    run()  # warm up
    mode = "multiprocess" if args.multiproc else "single process"
    print(f"bare GET through the test client, {args.requests} requests, {mode}; medians")
    for name, level in (("line + metrics", logging.NOTSET), ("metrics only", logging.WARNING)):
        logging.getLogger("portal.request").setLevel(level)
        request_us, hook_us = run()
        print(
            f"  {name:15} request {request_us:7.1f} µs, of which the hook {hook_us:5.1f} µs"
            f" ({hook_us / request_us:.1%})"
        )


if __name__ == "__main__":
    main()
