"""Where a lookup's time goes (issue 3), measured inside real requests.

Lookup POSTs (rotating over 2,000 people of the 1M-household registry, as in
``lookup_bench.py``) and bare GETs go through the test client; every hook, the
session interface and the view's steps are wrapped with a timer. Each row is
the mean µs per request of that part, for the lookup and for the bare route.
Steps timed on their own, outside a request, came out two to three times
cheaper than inside one (warm caches, one person): these are the numbers
that add up.

    .venv/bin/python bench/lookup_parts.py --backend sqlite 2>/dev/null

The timers themselves cost a few µs per wrapped call; the totals include them.
"""

from __future__ import annotations

import argparse
import functools
import re
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.lookup_bench import OUT, make_app, sample_people

spent: dict[str, float] = defaultdict(float)


def timer(label: str, fn):
    @functools.wraps(fn)
    def timed(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            spent[label] += time.perf_counter() - t0

    return timed


def hook_name(hook) -> str:
    hook = getattr(hook, "func", hook)  # functools.partial (Flask-Limiter)
    return f"{hook.__module__}.{hook.__qualname__.replace('.<locals>', '')}"


def instrument(app) -> None:
    from portal import ratelimit_lookup
    from portal.web.public import lookup

    app.wsgi_app = timer("the app (wsgi_app)", app.wsgi_app)
    app.preprocess_request = timer("before_request hooks", app.preprocess_request)
    app.dispatch_request = timer("the view", app.dispatch_request)
    app.finalize_request = timer("after_request hooks and session save", app.finalize_request)
    iface = app.session_interface
    iface.open_session = timer("  session cookie: open", iface.open_session)
    iface.save_session = timer("  session cookie: save", iface.save_session)
    for kind, hooks in (("before", app.before_request_funcs), ("after", app.after_request_funcs)):
        hooks[None] = [timer(f"  {kind}: {hook_name(h)}", h) for h in hooks[None]]
    for name, label in (
        ("LookupForm", "form: build and validate"),
        ("find_household", "blind index, query, decrypt and compare"),
        ("proven_status", "result page: proof, query, decrypt and mask"),
        ("_page", "render the page and the response"),
        ("_log", "JSON log line"),
    ):
        setattr(lookup, name, timer(f"  view: {label}", getattr(lookup, name)))
    ratelimit_lookup.take_free_lookup = timer(
        "  view: NIK limits and captcha quota", ratelimit_lookup.take_free_lookup
    )


def measure(client, request, n: int) -> tuple[float, dict[str, float]]:
    spent.clear()
    whole = []
    for i in range(n):
        t0 = time.perf_counter()
        request(i)
        whole.append(time.perf_counter() - t0)
    return statistics.median(whole), {k: v / n for k, v in spent.items()}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    ap.add_argument("-n", type=int, default=3000)
    ap.add_argument("--households", type=int, default=1_000_000)
    args = ap.parse_args()
    app = make_app(args.backend)
    instrument(app)
    people = sample_people(OUT / f"snapshot-{args.households}-7.csv", 2000)
    client = app.test_client()
    page = client.get("/lookup").data
    token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1).decode()

    def lookup(i):
        nik, name = people[i % len(people)]
        data = {"csrf_token": token, "nik": nik, "name": name}
        client.post("/lookup", data=data, follow_redirects=True)  # the POST and its result page

    def bare(i):
        client.get("/_bare")

    measure(client, lookup, 300)
    measure(client, bare, 300)
    look_median, look = measure(client, lookup, args.n)
    bare_median, plain = measure(client, bare, args.n)
    rows = [("whole request via test client (median)", look_median, bare_median)]
    rows += [(label, look[label], plain.get(label, 0.0)) for label in sorted(look, key=_order)]
    print(f"[{args.backend}] {'µs per request (mean)':<55} lookup    bare")
    for label, a, b in rows:
        print(f"[{args.backend}] {label:<55}{a * 1e6:7.0f} {b * 1e6:7.0f}")


#: Rows in the order a request runs them, each part's steps under it.
GROUPS = ("the app", "  session cookie: open", "before", "  before", "the view", "  view",
          "after", "  after", "  session cookie: save")  # fmt: skip


def _order(label: str) -> tuple[int, str]:
    return max(i for i, g in enumerate(GROUPS) if label.startswith(g)), label


if __name__ == "__main__":
    main()
