"""Receipt PDF benchmark (issue 4, PERFORMANCE.md "receipt PDF").

Measures in one run, after a few warm-up renders:

* the reference: a *naive* render that builds a new ``FontConfiguration`` and
  parses ``receipt.css`` every time (what the levers are measured against);
* the portal's warm render (``render_receipt``: shared font configuration and
  pre-parsed stylesheet);
* a repeat download through ``receipt_pdf`` with the on-disk cache.

Targets: warm p95 ≤ 150 ms, cached ≤ 5 ms. Prints figures, asserts nothing.

    taskset -c 1 .venv/bin/python bench/receipt_bench.py --renders 50
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def percentiles(samples_ms: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples_ms, n=100, method="inclusive")
    return cuts[49], cuts[94]


def timed(fn: Callable[[int], object], runs: int, warmup: int) -> list[float]:
    for i in range(warmup):
        fn(-1 - i)
    samples = []
    for i in range(runs):
        start = time.perf_counter()
        fn(i)
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--renders", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--lang", choices=("id", "en"), default="id")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="receipt-bench-"))
    os.environ["PORTAL_INSTANCE_PATH"] = str(workdir / "instance")
    os.environ.setdefault("PORTAL_ENV", "testing")
    sys.path.insert(0, str(ROOT))

    from weasyprint import CSS, HTML
    from weasyprint.text import ffi
    from weasyprint.text.fonts import FontConfiguration

    from portal import create_app
    from portal.tickets import receipt

    app = create_app({"ENV_NAME": "testing"})

    def data(i: int, **overrides) -> receipt.ReceiptData:
        fields = {
            "reference": f"DT-BNCH-{abs(i):04d}"[:12],
            "kind": "objection",
            "submitted_at": datetime(2026, 1, 20, 7, 5, tzinfo=UTC),
            "office_name": "Dinas Sosial Kabupaten Bogor",
            "village_path": "Pondok Rajeg, Cibinong, Kabupaten Bogor, Jawa Barat",
            "next_steps": ["Bring your KTP and KK if the office visits."],
            "due_date_triage": date(2026, 1, 27),
            "due_date_decision": date(2026, 2, 17),
            "tracking_url": "https://portal.example.go.id/t/Zm9vYmFyYmF6cXV4MTIzNA",
            "version": 1,
            "lang": args.lang,
        }
        fields.update(overrides)
        return receipt.ReceiptData(**fields)

    with app.app_context():
        static = Path(app.static_folder).resolve()

        def naive(i: int) -> bytes:
            fonts = FontConfiguration()
            sheet = CSS(filename=str(static / receipt.STYLESHEET), font_config=fonts)
            html = HTML(
                string=receipt._receipt_html(data(i)),
                base_url=str(static) + os.sep,
                url_fetcher=receipt.StaticOnlyFetcher(static),
            )
            return html.write_pdf(font_config=fonts, stylesheets=[sheet])

        start = time.perf_counter()
        size = len(receipt.render_receipt(data(0)))
        cold_ms = (time.perf_counter() - start) * 1000

        naive_ms = timed(naive, args.renders, args.warmup)
        warm_ms = timed(lambda i: receipt.render_receipt(data(i)), args.renders, args.warmup)

        cache = receipt.DiskReceiptCache(workdir / "receipts")
        cached = data(0, reference="DT-CACH-E001")
        receipt.receipt_pdf(cached, cache)  # the first download renders and stores
        cache_ms = timed(lambda _i: receipt.receipt_pdf(cached, cache), args.renders, args.warmup)

    print(f"receipt PDF benchmark ({args.lang}, {args.renders} runs after {args.warmup} warm-ups)")
    print(f"harfbuzz-subset loaded: {ffi.harfbuzz_subset is not None}; PDF size {size} bytes")
    print(f"first render in process (cold): {cold_ms:8.1f} ms")
    for name, samples, target in (
        ("naive render (reference)", naive_ms, None),
        ("warm render_receipt", warm_ms, 150.0),
        ("cached receipt_pdf", cache_ms, 5.0),
    ):
        p50, p95 = percentiles(samples)
        goal = ""
        if target is not None:
            goal = f"  target p95 <= {target:g} ms: {'ok' if p95 <= target else 'MISSED'}"
        print(f"{name:28s} p50 {p50:8.2f} ms  p95 {p95:8.2f} ms{goal}")
    p50_naive, _ = percentiles(naive_ms)
    p50_warm, _ = percentiles(warm_ms)
    print(f"warm / naive p50 ratio: {p50_warm / p50_naive:.2f}")


if __name__ == "__main__":
    main()
