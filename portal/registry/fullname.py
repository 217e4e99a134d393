"""When two spellings are the same full name: the one comparison used by the
status lookup (``portal.registry.lookup``) and by the duplicate check of
hand-described subjects (``portal.tickets.service``).

DESIGN.md §3: the full name *as on the KTP* must match. What may differ is
only how it is written, never which name it is:

* case, Unicode compatibility forms and spacing (``BUDI  santoso``);
* punctuation: ``Moh. Ade Sopyan`` = ``Moh Ade Sopyan``, ``Siti-Aminah`` =
  ``Siti Aminah``; apostrophes are dropped, not spaced (``Ma'ruf`` = ``Maruf``,
  ``Ma’ruf``), because that is how residents type them on a phone keyboard;
* honorific and academic titles. Permendagri 73/2022 lets Dukcapil write
  education, religious and customary titles, abbreviated, on the KK and the
  KTP-el, so the registry holds some names with them and some without, and a
  resident may or may not type them. Only abbreviated titles are dropped, in
  their places: honorifics before the name (``H.``, ``Hj.``, ``Dr.``,
  ``Prof.``, …) and degrees after it (``S.Pd.``, ``M.Si.``, ``A.Md.``, …).

Nothing else: abbreviations that are part of the name itself (``Moh.`` for
Mohammad, ``M.`` for Muhammad) stay as written, since equating spellings of a
name is fuzzy matching and would let more guesses through a lookup that
guards a guessable NIK; a name that is only the start of another (``Budi``
for ``Budi Santoso``) is a different name.
"""

from __future__ import annotations

import re
import unicodedata

_APOSTROPHES = dict.fromkeys(map(ord, "'`´‘’‛ʹʻʼʽˈ"), None)
#: Anything that is not a letter, a combining mark or a digit separates words.
_NOT_WORD = re.compile(r"[^\w]|_")

#: Titles written before a name, by their letters (``Hj.`` → ``hj``).
_HONORIFICS = frozenset({"h", "hj", "kh", "dr", "drs", "dra", "drg", "ir", "prof"})
#: Academic degrees written after a name (``S.Pd.I.`` → ``spdi``).
# fmt: off
_DEGREES = frozenset(
    (
        "sag", "sak", "sap", "se", "sfarm", "sh", "shi", "shum", "sip", "skep", "sked", "skes",
        "skom", "spd", "spdi", "spdsd", "spsi", "spt", "ssi", "ssn", "ssos", "st", "sth", "sthi",
        "stp", "sp", "shut", "sgz", "sikom", "ssy", "mag", "mak", "mh", "mhum", "mkes", "mkom",
        "mm", "mpd", "mpdi", "mpsi", "msc", "msi", "msos", "mt", "mth", "ma", "mba", "amd", "ampd",
        "ama", "amapd", "amk", "amkeb", "amkep", "lc", "phd",
    )
)
# fmt: on


def _letters(token: str) -> str:
    return _NOT_WORD.sub("", token)


def _is_title(token: str, titles: frozenset[str], bare_from: int) -> bool:
    """An abbreviated title: in the list, and written with a dot unless it has
    ``bare_from`` letters or more. Without its dot, a short word may be a
    name: an initial ``H``, the surname ``Ma`` (but ``Hj`` or ``SPd`` is not)."""
    letters = _letters(token)
    return letters in titles and ("." in token or len(letters) >= bare_from)


def normalise_name(name: str) -> str:
    """The full name reduced to what must match: lower-case words separated by
    single spaces, without punctuation or titles."""
    name = unicodedata.normalize("NFKC", name).casefold().translate(_APOSTROPHES)
    # Degrees often follow a comma: "Budi Santoso, S.Pd., M.Pd."
    tokens = name.replace(",", " ").split()
    while len(tokens) > 1 and _is_title(tokens[0], _HONORIFICS, bare_from=2):
        tokens.pop(0)
    while len(tokens) > 1 and _is_title(tokens[-1], _DEGREES, bare_from=3):
        tokens.pop()
    return " ".join(_NOT_WORD.sub(" ", " ".join(tokens)).split())
