"""The resident's side of the evidence quality check (issue 15 §1): a photo
flagged by ``portal.tickets.quality`` is stored in the draft like any other
(on slow data, never a second upload), but marked, and the evidence page
says in plain words why it may be hard to read, shows it small and offers
two buttons: keep it anyway, or remove it and choose another.

"Continue" while a flagged photo is undecided does not move on: the page
shows again with the warning and an error asking for the choice. Counting
"Continue" as keeping would send a photo the resident never looked at (the
warning appears after the very press that uploaded it, when they chose
"Continue" with a file); removing it would lose a file on slow data. The
file stays in the draft either way, so nothing is lost by asking. Everything
is server-side forms: it works with JavaScript off.
"""

from __future__ import annotations

import dataclasses

from babel.lists import format_list
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from portal.tickets.quality import SCENES, Thresholds

#: Why, in plain words, after "This photo may be hard to read: ".
REASONS = {
    "dark": _l("it is too dark"),
    "bright": _l("it is too bright, so the writing looks pale"),
    "blurred": _l("it is blurred"),
    "sideways": _l("it is sideways"),
    "small": _l("it is too small to read"),
}
#: What to do about it, one line per reason.
TIPS = {
    "dark": _l("Take it in daylight or near a lamp."),
    "bright": _l("Move out of direct sunlight or away from the glare of a lamp."),
    "blurred": _l("Hold the phone still and touch the screen on the document to focus."),
    "sideways": _l("Hold the phone so that the writing reads from left to right."),
    "small": _l("Take the photo closer, so the document fills the picture."),
}
UNDECIDED = _l("Choose whether to keep the photo that may be hard to read, or remove it")


def undecided(files: list[dict]) -> list[int]:
    """Indexes of flagged photos the resident has not chosen to keep yet."""
    return [i for i, f in enumerate(files) if f.get("quality") and not f.get("quality_kept")]


def keep(files: list[dict], index: int | None) -> bool:
    """Mark a flagged photo kept; False when there is no such photo."""
    if index is None or not 0 <= index < len(files) or not files[index].get("quality"):
        return False
    files[index]["quality_kept"] = True
    return True


def reasons_text(codes) -> str:
    """ "it is too dark and it is blurred", in the page's language."""
    words = [str(REASONS[c]) for c in codes if c in REASONS]
    return format_list(words, locale=get_locale() or "en") if words else ""


def photo_check(config) -> dict | None:
    """What the phone's pre-check (``static/js/photo-check.js``) needs: the
    server's thresholds and the stored size limit; None when the check is off."""
    if not config.get("EVIDENCE_QUALITY_CHECK"):
        return None
    limits = dataclasses.asdict(Thresholds.from_config(config))
    limits["image_max_side"] = config["IMAGE_MAX_SIDE"]
    return {"limits": limits, "scenes": ",".join(sorted(SCENES))}


#: For the templates.
HELPERS = {"quality_reasons": reasons_text, "quality_tips": TIPS}
