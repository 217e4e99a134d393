"""Server time of a proposal with five phone photos (issue 4 "Measure").

Walks the whole proposal journey in process (Flask's test client, so the
time is the server's, no network), uploading five 2000x1500 JPEG photos with
camera-like noise (~1 MB each), and reports, against a bare route of the same
app measured in the same run: each upload (sniffing, Pillow decode,
re-encode without metadata, fsync'ed store), the final send (one transaction:
ticket, evidence rows, event, outbox), and the whole journey. Median of 5
journeys after one warm-up.

    .venv/bin/python bench/submit_bench.py
"""

from __future__ import annotations

import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def photo(seed: int) -> bytes:
    import random

    from PIL import Image

    rng = random.Random(seed)
    img = Image.effect_noise((2000, 1500), 40).convert("RGB")
    img = Image.blend(img, Image.new("RGB", img.size, (rng.randrange(256), 120, 80)), 0.5)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=90)
    return out.getvalue()


def main() -> None:
    tmp = tempfile.mkdtemp(prefix="submit-bench-")
    os.environ.update({"PORTAL_INSTANCE_PATH": tmp, "PORTAL_ENV": "development"})
    os.environ.setdefault("PORTAL_SUBMIT_LIMIT_PER_IP", "100000 per hour")
    from flask_migrate import upgrade

    from portal import create_app
    from portal.db import transaction
    from portal.regions.loader import load_regions
    from tests.web import journeys

    app = create_app({"UPLOAD_ROOT": str(Path(tmp) / "evidence")})
    app.add_url_rule("/_bare", "bare", lambda: "ok")
    with app.app_context():
        upgrade()
        with transaction():
            load_regions()
    photos = [photo(i) for i in range(5)]
    print(f"photos: {', '.join(f'{len(p) / 1e6:.2f} MB' for p in photos)}")

    def journey() -> dict:
        client = app.test_client()
        t0 = time.perf_counter()
        journeys.post(client, "/submit/proposal", {"subkind": "other_household"})
        journeys.post(
            client,
            "/submit/proposal/subject",
            {"subject_name": "Siti Aminah", "subject_address": "Jl. Mawar 5, RT 001/RW 002"},
        )
        journeys.choose_village(client, "proposal")
        journeys.post(
            client, "/submit/proposal/reasons", {"reason_codes": ["no_income"], "details": "x"}
        )
        uploads = []
        for data in photos:
            u0 = time.perf_counter()
            r = journeys.upload(client, "proposal", data, doc_type="house_front")
            uploads.append(time.perf_counter() - u0)
            assert r.status_code == 302, r.status_code
        journeys.post(client, "/submit/proposal/evidence", {"action": "continue"})
        journeys.post(client, "/submit/proposal/contact", {"contact": ""})
        journeys.post(client, "/submit/proposal/consent", {"consent": "y"})
        check = journeys.get(client, "/submit/proposal/check")
        s0 = time.perf_counter()
        r, _ = journeys.send(client, "proposal", check)
        send = time.perf_counter() - s0
        assert r.status_code in (200, 302), r.status_code
        return {"uploads": uploads, "send": send, "total": time.perf_counter() - t0}

    client = app.test_client()
    journey()  # warm-up
    runs = [journey() for _ in range(5)]
    bare = []
    for _ in range(500):
        b0 = time.perf_counter()
        client.get("/_bare")
        bare.append(time.perf_counter() - b0)
    med = statistics.median
    bare_ms = med(bare) * 1e3
    upload_ms = med(u for r in runs for u in r["uploads"]) * 1e3
    send_ms = med(r["send"] for r in runs) * 1e3
    total_ms = med(r["total"] for r in runs) * 1e3
    print(
        f"bare route {bare_ms:.2f} ms | one photo upload {upload_ms:.0f} ms "
        f"({upload_ms / bare_ms:.0f}x bare) | final send {send_ms:.1f} ms "
        f"({send_ms / bare_ms:.0f}x bare) | whole 5-photo journey {total_ms:.0f} ms "
        f"server time (median of 5)"
    )


if __name__ == "__main__":
    main()
