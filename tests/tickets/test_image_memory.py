"""Image decoding memory is bounded (SECURITY.md UP8, issue 9 §4).

The review's file was a 155 kB PNG of 6,320 × 6,320 RGBA: one took a worker
from 223 MB to 771 MB, four in parallel to 2.2 GB, and it stayed at 1.8 GB.

Stated bound, with the shipped configuration (``portal/config.py``): four
worst-case uploads cleaned in parallel in one process (each the most pixels
accepted, 16 MP RGBA, under ``MAX_DECODED_PIXELS``) raise its peak resident
memory by less than ``BOUND_MIB``, and the memory goes back afterwards. Two
images are decoded at once (``IMAGE_WORK_SLOTS``), about 190 MB each (the
decoded pixels, Pillow's premultiplied copy while resizing, the small
result); without the semaphore four would need about 750 MB.

Each case runs in a fresh interpreter, so the peak (``VmHWM``) is this
work's alone.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.tickets.evidence_files import rgba_png

ROOT = Path(__file__).resolve().parents[2]
BOUND_MIB = 450
#: What is left resident after the work, above where it started.
KEPT_MIB = 100

SCRIPT = r"""
import json, sys, threading
from portal.config import Config
from portal.tickets.evidence import EvidenceError, EvidenceSettings, process_upload

def mib(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key):
                return int(line.split()[1]) // 1024

config = {k: getattr(Config, k) for k in dir(Config) if k.isupper()}
settings = EvidenceSettings.from_config(config, sys.argv[1])
datas = [open(p, "rb").read() for p in sys.argv[2:]]
results = []

def clean(data):
    try:
        results.append(len(process_upload("a.png", data, doc_type="ktp", keep_gps=False,
                                          settings=settings).data))
    except EvidenceError as exc:
        results.append(exc.code)

from tests.tickets.evidence_files import rgba_png
clean(rgba_png(8, 8))  # imports and first use, before the baseline
results.clear()
base = mib("VmRSS")
threads = [threading.Thread(target=clean, args=(d,)) for d in datas]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(json.dumps({"base": base, "peak": mib("VmHWM"), "after": mib("VmRSS"), "results": results}))
"""


def _run(tmp_path, files: list[bytes]) -> dict:
    paths = []
    for i, data in enumerate(files):
        path = tmp_path / f"in-{i}.png"
        path.write_bytes(data)
        paths.append(str(path))
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "store"), *paths],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return json.loads(done.stdout)


pytestmark = pytest.mark.skipif(
    not Path("/proc/self/status").exists(), reason="reads VmHWM from /proc (Linux)"
)


def test_four_worst_case_uploads_in_parallel_stay_under_the_bound(tmp_path):
    from portal.config import Config

    side = int(Config.MAX_DECODED_PIXELS**0.5)  # 4000: the most pixels accepted
    measured = _run(tmp_path, [rgba_png(side, side)] * 4)
    assert all(isinstance(r, int) for r in measured["results"]), measured
    assert measured["peak"] - measured["base"] < BOUND_MIB, measured
    assert measured["after"] - measured["base"] < KEPT_MIB, measured


def test_the_reviews_image_is_refused_before_decoding(tmp_path):
    measured = _run(tmp_path, [rgba_png(6320, 6320)] * 4)
    assert measured["results"] == ["too_many_pixels"] * 4
    assert measured["peak"] - measured["base"] < 20, measured
