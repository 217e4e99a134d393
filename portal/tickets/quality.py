"""Is this photo good enough to read? A cheap check of an uploaded photo
after cleaning (issue 15 §1), so the resident can retake it while still at
the house rather than wait days for an officer to ask again.

The check looks at the cleaned, upright image (``image_clean`` applies the
EXIF orientation before it drops the metadata, so a phone held sideways
with its orientation tag is judged the way it is shown). It works on a
grey copy shrunk to ``work_side`` px on its longest side, with Pillow only:
no file is refused for it, it only gives the resident reasons to look again.

====================  ========================================================
code                  when
====================  ========================================================
``dark``              mean grey under ``dark_mean`` and the brightest 2 % of
                      the picture under ``dark_high``: nothing in it is lit
                      (a KTP on a dark table is not dark: the card is lit)
``bright``            mean grey over ``bright_mean`` and the darkest 2 % over
                      ``bright_low``: washed out, the ink turned pale (a
                      screenshot of a white page keeps black text: not bright)
``blurred``           the variance of a 3×3 Laplacian, divided by the
                      variance of the picture itself (so a dim or low-contrast
                      photo is not called blurred for that alone), under
                      ``blur_ratio`` for a document, ``blur_ratio_scene`` for
                      a house photo: small print needs sharp edges, a house
                      only needs to be recognisable (and its wide even walls
                      and sky give it a lower ratio when sharp)
``sideways``          document types only: a mask of ink (pixels darker than
                      their neighbourhood) is summed per row and per column;
                      text lines make the row sums vary and the column sums
                      even. Sideways when the columns vary ``sideways_ratio``
                      times more than the rows, with at least ``min_ink`` of
                      the picture inked
``small``             document types only: the shorter side under
                      ``small_side`` px, too few to read the small print of
                      a KTP or KK
====================  ========================================================

The thresholds are ``EVIDENCE_QUALITY`` in the configuration; they were
chosen with ``bench/quality_tuning.py`` on generated photos, and
``docs/evidence-quality.md`` gives its false-alarm and miss rates and its
limits (generated, not real phone photos).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from PIL import Image, ImageChops, ImageFilter, ImageStat

#: In the order the resident reads them.
CODES = ("dark", "bright", "blurred", "sideways", "small")

#: Photos of a scene, not of a document: not checked for sideways or small
#: (``portal.web.public.submit.HOUSE_PHOTOS``, the same types).
SCENES = frozenset({"house_front", "house_inside"})

#: 4-neighbour Laplacian: zero on flat and evenly graded areas, large on edges.
_LAPLACIAN = ImageFilter.Kernel((3, 3), (0, 1, 0, 1, -4, 1, 0, 1, 0), scale=1, offset=128)


@dataclass(frozen=True)
class Thresholds:
    """The check's limits (``EVIDENCE_QUALITY``); see the module docstring."""

    dark_mean: float = 60
    dark_high: float = 110
    bright_mean: float = 190
    bright_low: float = 140
    blur_ratio: float = 0.4
    blur_ratio_scene: float = 0.07
    sideways_ratio: float = 1.5
    min_ink: float = 0.01
    small_side: int = 600
    work_side: int = 512

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Thresholds:
        given = config.get("EVIDENCE_QUALITY") or {}
        names = {f.name for f in fields(cls)}
        unknown = set(given) - names
        if unknown:
            raise ValueError(f"unknown EVIDENCE_QUALITY keys: {sorted(unknown)}")
        return cls(**given)


@dataclass(frozen=True)
class Measures:
    """What the check measured, for the tuning script and the tests."""

    mean: float
    low: float  # 2nd percentile of grey
    high: float  # 98th percentile of grey
    blur: float  # Laplacian variance / picture variance
    rows: float  # variance of the ink mask's row means
    columns: float  # variance of the ink mask's column means
    ink: float  # share of the picture inked
    short_side: int


def is_document(doc_type: str) -> bool:
    """Every type but a house photo holds writing to read."""
    return doc_type not in SCENES


def check(img: Image.Image, *, document: bool, limits: Thresholds) -> tuple[str, ...]:
    """The codes (of ``CODES``, in that order) this photo is flagged for."""
    return verdict(measure(img, limits), document=document, limits=limits)


def check_bytes(data: bytes, fmt: str, *, document: bool, limits: Thresholds) -> tuple[str, ...]:
    """``check`` of a stored (already cleaned) image's bytes. JPEG is decoded
    at a reduced scale (libjpeg's DCT scaling) when only a small copy is used."""
    with Image.open(io.BytesIO(data), formats=[fmt]) as img:
        size = img.size
        img.draft("L", (limits.work_side, limits.work_side))
        img.load()
        return verdict(measure(img, limits, size), document=document, limits=limits)


def verdict(m: Measures, *, document: bool, limits: Thresholds) -> tuple[str, ...]:
    found = {
        "dark": m.mean < limits.dark_mean and m.high < limits.dark_high,
        "bright": m.mean > limits.bright_mean and m.low > limits.bright_low,
        "blurred": m.blur < (limits.blur_ratio if document else limits.blur_ratio_scene),
        "sideways": document
        and m.ink >= limits.min_ink
        and m.columns > limits.sideways_ratio * m.rows,
        "small": document and m.short_side < limits.small_side,
    }
    return tuple(code for code in CODES if found[code])


def measure(
    img: Image.Image, limits: Thresholds, full_size: tuple[int, int] | None = None
) -> Measures:
    """Every measure on a grey copy at most ``work_side`` px long.
    ``full_size``: the image's size before a reduced decode (else its own)."""
    width, height = full_size or img.size
    grey = _grey(img)
    grey.thumbnail((limits.work_side, limits.work_side), Image.Resampling.BOX)
    histogram = grey.histogram()
    stat = ImageStat.Stat(grey)
    picture_var = stat.var[0]
    edges = ImageStat.Stat(grey.filter(_LAPLACIAN)).var[0]
    rows, columns, ink = _ink_profiles(grey)
    return Measures(
        mean=stat.mean[0],
        low=_percentile(histogram, 0.02),
        high=_percentile(histogram, 0.98),
        blur=edges / picture_var if picture_var > 1 else 0.0,
        rows=rows,
        columns=columns,
        ink=ink,
        short_side=min(width, height),
    )


def _grey(img: Image.Image) -> Image.Image:
    """Grey, with transparency on white (a screenshot's clear background is
    paper, not black)."""
    if img.mode in ("RGBA", "LA") or img.has_transparency_data:
        rgba = img.convert("RGBA")
        flat = Image.new("RGB", rgba.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
        img = flat
    return img.convert("L")


def _percentile(histogram: list[int], share: float) -> float:
    total = sum(histogram)
    wanted = share * total
    seen = 0
    for value, count in enumerate(histogram):
        seen += count
        if seen >= wanted:
            return float(value)
    return 255.0


def _ink_profiles(grey: Image.Image) -> tuple[float, float, float]:
    """How much the ink mask's row means and column means jump from one line
    to the next, and the share inked.

    Ink is a pixel 24 levels darker than the mean around it, so uneven light
    across the page does not turn into ink. The jumps are what is left of a
    profile after its moving average is taken away: text lines make the row
    profile jump every line, while margins and a holder's photo are slow
    changes that do not count. Profiles are taken in four strips across, so
    a page photographed a few degrees askew still shows its lines."""
    radius = max(4, max(grey.size) // 40)
    surround = grey.filter(ImageFilter.BoxBlur(radius))
    mask = ImageChops.subtract(surround, grey).point(lambda v: 255 if v > 24 else 0)
    rows = sum(_jumps(strip) for strip in _strips(mask, across=True))
    columns = sum(
        _jumps(strip.transpose(Image.Transpose.TRANSPOSE)) for strip in _strips(mask, across=False)
    )
    return rows, columns, ImageStat.Stat(mask).mean[0] / 255


def _strips(mask: Image.Image, *, across: bool, count: int = 4) -> list[Image.Image]:
    """``count`` strips side by side (``across``) or one above the other."""
    width, height = mask.size
    if across:
        return [
            mask.crop((width * i // count, 0, width * (i + 1) // count, height))
            for i in range(count)
        ]
    return [
        mask.crop((0, height * i // count, width, height * (i + 1) // count)) for i in range(count)
    ]


def _jumps(strip: Image.Image) -> float:
    """Mean square of a strip's row profile minus its moving average."""
    profile = strip.resize((1, strip.height), Image.Resampling.BOX)
    smooth = profile.filter(ImageFilter.BoxBlur(max(3, strip.height // 30)))
    return ImageStat.Stat(ImageChops.difference(profile, smooth)).rms[0] ** 2
