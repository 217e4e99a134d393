"""Tune the evidence quality check (``portal.tickets.quality``) on generated
photos, and print how often it is wrong.

    .venv/bin/python bench/quality_tuning.py [--per-kind 40] [--seed 15] [--measures]

For ``--per-kind`` seeds it draws a good document and a good house scene
(``tests/tickets/quality_photos.py``), and each of them made bad on purpose
(dark, bright, blurred; documents also rotated by 90° and too small). Each
photo goes through JPEG at quality 85 and the check as the upload runs it
(``check_bytes``), with the thresholds of ``EVIDENCE_QUALITY`` in
``portal/config.py`` (the defaults of ``quality.Thresholds``).

It prints, per kind: the false-alarm rate (good photos flagged, per code)
and the miss rate (bad photos without their code), and the bad photos
flagged for another code too. ``--measures`` prints each group's spread of
the measures, the figures the thresholds were chosen from. ``--sweep``
prints, for milder and milder faults, the share still flagged: where the
check stops seeing them.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402

from portal.config import Config  # noqa: E402
from portal.tickets import quality  # noqa: E402
from tests.tickets import quality_photos as photos  # noqa: E402


def run(per_kind: int, seed: int, show_measures: bool) -> None:
    limits = quality.Thresholds.from_config({"EVIDENCE_QUALITY": Config.EVIDENCE_QUALITY})
    flagged: dict[tuple[str, str], list[tuple[str, ...]]] = defaultdict(list)
    measures: dict[tuple[str, str], list[quality.Measures]] = defaultdict(list)
    for n in range(per_kind):
        for subject, draw in (("document", photos.document), ("house", photos.house)):
            rng = random.Random(f"{seed}-{subject}-{n}")
            good = draw(rng)
            variants = {"good": good}
            for kind, spoil in photos.SPOIL.items():
                if subject == "document" or kind not in photos.DOCUMENT_ONLY:
                    variants[kind] = spoil(good, rng)
            for kind, img in variants.items():
                data = photos.jpeg(img)
                is_doc = subject == "document"
                codes = quality.check_bytes(data, "JPEG", document=is_doc, limits=limits)
                flagged[subject, kind].append(codes)
                if show_measures:
                    with Image.open(__import__("io").BytesIO(data)) as opened:
                        measures[subject, kind].append(quality.measure(opened, limits))
    print(f"thresholds: {limits}")
    print(f"{per_kind} seeds per subject, seed {seed}\n")
    print("false alarms (good photos flagged), per code:")
    for subject in ("document", "house"):
        results = flagged[subject, "good"]
        per_code = {c: sum(c in r for r in results) for c in quality.CODES}
        any_flag = sum(bool(r) for r in results)
        detail = ", ".join(f"{c} {k}" for c, k in per_code.items() if k) or "none"
        print(
            f"  {subject:9} {any_flag}/{len(results)} = {_rate(any_flag, len(results))} ({detail})"
        )
    print("\nmisses (bad photos without their code), and other codes they got:")
    for subject in ("document", "house"):
        for kind, code in photos.BAD_KINDS.items():
            results = flagged.get((subject, kind))
            if not results:
                continue
            missed = sum(code not in r for r in results)
            extra = defaultdict(int)
            for r in results:
                for c in r:
                    if c != code:
                        extra[c] += 1
            extras = ", ".join(f"{c} {k}" for c, k in sorted(extra.items())) or "none"
            print(
                f"  {subject:9} {kind:8} missed {missed}/{len(results)} = "
                f"{_rate(missed, len(results))}; also flagged: {extras}"
            )
    if show_measures:
        print("\nmeasures (min … median … max):")
        for (subject, kind), ms in sorted(measures.items()):
            print(f"  {subject} {kind}")
            for name in ("mean", "low", "high", "blur", "ink", "short_side"):
                values = sorted(getattr(m, name) for m in ms)
                print(f"    {name:10} {_spread(values)}")
            ratios = sorted(m.columns / m.rows if m.rows else 99 for m in ms)
            print(f"    {'cols/rows':10} {_spread(ratios)}")


def _rate(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f} %" if whole else "n/a"


def _spread(values: list[float]) -> str:
    return f"{values[0]:.3f} … {values[len(values) // 2]:.3f} … {values[-1]:.3f}"


#: Fault strengths from plainly bad to mild (``quality_photos`` ``amount``).
SWEEP = {
    "dark": (photos.darkened, (0.25, 0.35, 0.45, 0.6)),
    "bright": (photos.brightened, (0.75, 0.6, 0.45, 0.3)),
    "blurred": (photos.blurred, (3.0, 2.0, 1.5, 1.0, 0.5)),
}


def sweep(per_kind: int, seed: int) -> None:
    limits = quality.Thresholds.from_config({"EVIDENCE_QUALITY": Config.EVIDENCE_QUALITY})
    print("\nflagged, by fault strength (brightness kept, white mixed in, blur px at 512):")
    goods = []
    for n in range(per_kind):
        for subject, draw in (("document", photos.document), ("house", photos.house)):
            goods.append((subject, draw(random.Random(f"{seed}-{subject}-{n}"))))
    for code, (spoil, amounts) in SWEEP.items():
        for amount in amounts:
            hits = defaultdict(int)
            for subject, good in goods:
                data = photos.jpeg(spoil(good, random.Random(0), amount))
                codes = quality.check_bytes(
                    data, "JPEG", document=subject == "document", limits=limits
                )
                hits[subject] += code in codes
            print(
                f"  {code:8} {amount:4}: documents {_rate(hits['document'], per_kind)}, "
                f"houses {_rate(hits['house'], per_kind)}"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-kind", type=int, default=40)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--measures", action="store_true")
    parser.add_argument("--sweep", action="store_true")
    args = parser.parse_args()
    run(args.per_kind, args.seed, args.measures)
    if args.sweep:
        sweep(args.per_kind, args.seed)
