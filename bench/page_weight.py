"""Page weight of every public page and state, as a table (issue 15 §4).

The same walk and the same counting as tests/web/test_page_weight.py, which
asserts the limits (HTML ≤ 14 KiB, everything ≤ 50 KiB, gzip as the app
sends it: pages at level 6, static files at level 9; hCaptcha excluded):
tests/web/page_weight.py says how a page is weighed. Sizes, not timing, so
one run on any machine gives the figures docs/performance.md records.

    .venv/bin/python bench/page_weight.py 2>/dev/null
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="page-weight-"))
    os.environ.update({"PORTAL_INSTANCE_PATH": str(tmp), "PORTAL_ENV": "testing"})
    os.environ.pop("DATABASE_URL", None)
    from flask_migrate import upgrade

    from portal import create_app
    from portal.db import transaction
    from portal.regions.loader import load_regions
    from portal.registry.importer import import_snapshot
    from tests.factories import household, write_csv
    from tests.web.page_weight import HTML_LIMIT, KIB, TOTAL_LIMIT, walk

    # The photo check on, as in production: the evidence page then loads photo-check.js.
    app = create_app(
        {
            "ENV_NAME": "testing",
            "UPLOAD_ROOT": str(tmp / "evidence"),
            "EVIDENCE_QUALITY_CHECK": True,
        }
    )
    rows = household("3201011503100001", 1)
    with app.app_context():
        upgrade()
        with transaction():
            load_regions()
        import_snapshot(write_csv(tmp / "s.csv", rows), None)
    pages = list(walk(app, app.test_client(), rows[0]["nik"], rows[0]["full_name"]))

    def kib(n: int) -> str:
        return f"{n / KIB:.1f}"

    print("KiB, gzip as the app sends it (pages level 6, static files level 9)")
    print(f"limits: HTML ≤ {kib(HTML_LIMIT)} KiB, HTML + files ≤ {kib(TOTAL_LIMIT)} KiB (gzip)")
    print("| page | path | HTML | CSS | JS | images | total | headroom: HTML / total |")
    print("|---|---|---|---|---|---|---|---|")
    for p in pages:
        css = sum(n for f, n in p.files.items() if f.endswith(".css"))
        js = sum(n for f, n in p.files.items() if f.endswith(".js"))
        other = sum(p.files.values()) - css - js
        print(
            f"| {p.name} | `{p.path}` | {kib(p.html)} | {kib(css)} | {kib(js)} | {kib(other)} "
            f"| {kib(p.total)} | {kib(HTML_LIMIT - p.html)} / {kib(TOTAL_LIMIT - p.total)} |"
        )
    worst = max(pages, key=lambda p: p.total)
    largest = max(pages, key=lambda p: p.html)
    print(
        f"\n{len(pages)} pages; largest HTML {kib(largest.html)} KiB ({largest.name}); "
        f"heaviest {kib(worst.total)} KiB ({worst.name})"
    )


if __name__ == "__main__":
    main()
