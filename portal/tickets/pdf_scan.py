"""Inspecting an uploaded PDF for active content (SECURITY.md UP5).

A PDF is stored as uploaded (there is no safe re-encoder in
the standard library), so it is refused when any of these names appears as a
PDF name, after undoing ``#xx`` escapes (``/J#61vaScript`` is ``/JavaScript``):
JavaScript, JS, OpenAction, AA, Launch, EmbeddedFile(s), EF, FileAttachment,
RichMedia, XFA, GoToE, GoToR, SubmitForm, ImportData, Rendition, and the link
actions URI (opens a web address: a phishing page one tap from an officer's
screen) and Named (runs a viewer menu command such as Print or SaveAs); and when
``/Encrypt`` appears, because encrypted strings and streams cannot be read.
A reader finds objects in three places, and each is covered:

1. the file body: a small lexer walks the syntax the way readers do (strings,
   hex strings, comments, ``stream`` after a dictionary) and checks every
   name outside string and stream data. Names inside binary stream data are
   not checked there: compressed images are random bytes and spell ``/JS(``
   or ``/AA<`` by chance often enough to refuse real scans;
2. stream data: a reader only parses objects there if an object header
   (``12 0 obj``) points into it, so any object header inside string, comment
   or stream data refuses the file (``pdf_uninspectable``). Long forbidden
   names (five letters or more, which random bytes do not produce) are also
   checked over the raw bytes of the whole file, as a second net;
3. object streams (``/Type /ObjStm``, or any stream with ``/First``): they
   are decoded (FlateDecode, ASCIIHexDecode, ASCII85Decode, within
   ``PDF_MAX_DECODED_BYTES`` in total, so a zip bomb costs nothing) and every
   name in the result is checked, strings included. An object stream that
   cannot be decoded (another filter, decode parameters or a predictor, an
   indirect filter, corrupt data, over budget) refuses the file
   (``pdf_uninspectable``).

The lexer is the only part that works in Python per token, and it stops
after ``_PDF_MAX_TOKENS`` tokens (``pdf_uninspectable``): real evidence PDFs
need a few thousand, and eight megabytes of ``()()()`` must not hold a
worker for seconds. Everything else is regex or zlib work in C.

Known limitation: this is a scanner, not a full PDF parser. A reader with a
quirk the lexer does not model (for example one that tolerates a malformed
stream boundary differently) could in principle see syntax the scanner treats
as stream data. The view serves files as attachments with ``nosniff`` and a
sandbox CSP (UP7), so browsers do not run them inline; a later hardening step
would be to rewrite PDFs in a sandboxed converter (qpdf, Ghostscript).
Harmless PDFs can be refused: a link or text that contains ``/Launch/`` or
another long forbidden name, or a PDF that discusses PDF syntax
(``1 0 obj``) in an uncompressed page.
"""

from __future__ import annotations

import bisect
import re
import zlib
from base64 import a85decode
from binascii import unhexlify
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any


class PdfRefused(Exception):
    """The PDF is refused; ``code`` is one of the ``EvidenceError`` codes."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


_ACTIVE_NAMES = frozenset(
    {
        b"JavaScript",
        b"JS",
        b"OpenAction",
        b"AA",
        b"Launch",
        b"EmbeddedFile",
        b"EmbeddedFiles",
        b"EF",
        b"FileAttachment",
        b"RichMedia",
        b"XFA",
        b"GoToE",
        b"GoToR",
        b"SubmitForm",
        b"ImportData",
        b"Rendition",
        # Link actions: a web address or a viewer command is not evidence.
        b"URI",
        b"Named",
    }
)
_OBJECT_STREAM_MARKS = frozenset({b"ObjStm", b"First"})
#: Stream keys that change how the data decodes in ways we do not model
#: (predictors, external files); an object stream using one is refused.
_UNMODELLED_STREAM_KEYS = frozenset(
    {b"DecodeParms", b"DP", b"Predictor", b"F", b"FFilter", b"FDecodeParms"}
)

_REGULAR = rb"[^\x00\t\n\x0c\r ()<>\[\]{}/%]"
_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_TOKEN = re.compile(
    rb"[\x00\t\n\x0c\r ]*+(?:(?P<comment>%)|(?P<string>\()|(?P<dict_open><<)"
    rb"|(?P<dict_close>>>)|(?P<hex><)|(?P<name>/" + _REGULAR + rb"*+)"
    rb"|(?P<word>" + _REGULAR + rb"++)|(?P<other>[\[\]{}>)]))"
)
_STRING_SPECIAL = re.compile(rb"[()\\]")
_EOL = re.compile(rb"[\r\n]")
_STREAM_START = re.compile(rb"[ \t]*+(?:\r\n|\n|\r)?")
_ENDSTREAM = re.compile(rb"[\x00\t\n\x0c\r ]*+endstream")
_SEPARATOR = rb"(?>[\x00\t\n\x0c\r ]|%[^\r\n]*+)"
#: ``12 0 obj``, as lenient readers accept it: signs, dots, comments as
#: separators, and no space before ``obj``.
_OBJECT_HEADER = re.compile(rb"[0-9.]" + _SEPARATOR + rb"++[+-]*+[0-9.]++" + _SEPARATOR + rb"*+obj")
_HEADER_TOKENS_KEPT = 4096


def inspect_pdf(data: bytes, max_decoded_bytes: int) -> None:
    """Raise ``PdfRefused`` unless the PDF is plain pages (module docstring)."""
    if not data.startswith(b"%PDF-") or b"%%EOF" not in data[-1024:]:
        raise PdfRefused("corrupt")
    body = _lex_pdf(data)
    if b"Encrypt" in body.names or _ENCRYPT.search(data):
        raise PdfRefused("pdf_encrypted")
    _refuse_active(body.names & _ACTIVE_NAMES)
    _refuse_active(_found(_LONG_ACTIVE, data))
    _refuse_hidden_objects(data, body.skipped)
    budget = max_decoded_bytes
    for stream in body.streams:
        if stream.may_hold_objects:
            decoded = _decode_object_stream(data[stream.start : stream.end], stream, budget)
            budget -= len(decoded)
            if _ENCRYPT.search(decoded):
                raise PdfRefused("pdf_encrypted")
            _refuse_active(_found(_ANY_ACTIVE, decoded))


def _refuse_active(found: set[bytes]) -> None:
    if found:
        raise PdfRefused("pdf_active_content", feature=min(found).decode())


def _name_pattern(names: Collection[bytes]) -> re.Pattern[bytes]:
    """A regex for ``/Name`` in any spelling readers accept: each character
    literally or as a ``#xx`` escape (hex digits in either case), then the end
    of the name. It runs in C with no Python work per byte, so it can search
    the raw file and decoded object streams, strings included."""
    alternatives = b"|".join(b"".join(_name_char(c) for c in name) for name in sorted(names))
    return re.compile(rb"/(?:" + alternatives + rb")(?!" + _REGULAR + rb")")


def _name_char(c: int) -> bytes:
    digits = b"".join(
        b"[%c%c]" % (d, d + 32) if 0x41 <= d <= 0x46 else bytes((d,)) for d in b"%02X" % c
    )
    return b"(?:%s|#%s)" % (re.escape(bytes((c,))), digits)


def _found(pattern: re.Pattern[bytes], data: bytes) -> set[bytes]:
    """The forbidden name ``pattern`` finds first in ``data``, unescaped, or none."""
    m = pattern.search(data)
    return {_unescape(m[0][1:])} if m else set()


def _unescape(raw: bytes) -> bytes:
    """``J#61vaScript`` → ``JavaScript``: readers undo ``#xx`` before comparing names."""
    return _NAME_ESCAPE.sub(lambda m: bytes((int(m[1], 16),)), raw)


#: Names long enough that random bytes never spell them are looked for
#: everywhere, binary stream data included.
_LONG_ACTIVE = _name_pattern([n for n in _ACTIVE_NAMES if len(n) >= 5])
_ANY_ACTIVE = _name_pattern(_ACTIVE_NAMES)
_ENCRYPT = _name_pattern([b"Encrypt"])


@dataclass
class _Stream:
    """A stream's data span and the tokens of its object before ``stream``."""

    start: int
    end: int
    header: list[tuple[str, bytes]]
    header_complete: bool

    @property
    def may_hold_objects(self) -> bool:
        """Readers load an object stream by its ``/First`` offset, whatever its
        ``/Type`` says; a header too long to keep might hide either."""
        if not self.header_complete:
            return True
        return any(k == "name" and v in _OBJECT_STREAM_MARKS for k, v in self.header)


@dataclass
class _Body:
    names: set[bytes] = field(default_factory=set)
    #: (start, end) of string, hex string, comment and stream data, in order.
    skipped: list[tuple[int, int]] = field(default_factory=list)
    streams: list[_Stream] = field(default_factory=list)


def _lex_pdf(data: bytes) -> _Body:
    """Walk the file as a reader would; collect names outside strings and streams.

    A stream starts at the ``stream`` keyword right after the ``>>`` that
    closes a dictionary (at any nesting depth, as pdf.js does), and
    ends where ``/Length`` says when ``endstream`` follows there, else at the
    first ``endstream``. The work is bounded (``_PDF_MAX_TOKENS``): eight
    megabytes of ``()()()`` must not hold a worker for seconds.
    """
    body = _Body()
    obj = _ObjectState()
    work = _Work(_PDF_MAX_TOKENS)
    pos = 0
    while (m := _TOKEN.match(data, pos)) is not None:
        work.spend()
        kind = m.lastgroup or "other"
        start, pos = m.start(kind), m.end()
        if kind in _SKIP:
            pos = _SKIP[kind](data, start, work)
            body.skipped.append((start, pos))
            if kind != "comment":  # a comment is whitespace to a reader
                obj.after_dict = False
            continue
        token = m[kind]
        if kind == "word" and token == b"stream" and obj.after_dict:
            stream = _stream_span(data, pos, obj.header, obj.header_complete)
            body.streams.append(stream)
            body.skipped.append((pos, stream.end))
            pos = stream.end
            obj = _ObjectState()
            continue
        if kind == "word" and token.endswith(b"obj") and token != b"endobj":
            obj = _ObjectState()  # an object header: a new dictionary follows
            continue
        value = _unescape(token[1:]) if kind == "name" else token
        if kind == "name":
            body.names.add(value)
        obj.push(kind, value)
    return body


_PDF_MAX_TOKENS = 250_000


class _Work:
    """A budget of lexer steps; running out refuses the file."""

    def __init__(self, steps: int) -> None:
        self.left = steps

    def spend(self, steps: int = 1) -> None:
        self.left -= steps
        if self.left < 0:
            raise PdfRefused("pdf_uninspectable")


@dataclass
class _ObjectState:
    """What the lexer remembers of the object it is in."""

    #: Tokens since the object header, to read ``/Length`` and ``/Filter``.
    header: list[tuple[str, bytes]] = field(default_factory=list)
    header_complete: bool = True
    #: Open ``<<`` and ``[``. A closer that does not match the innermost
    #: opener closes nothing, as in a recursive-descent reader: ``[ >> stream``
    #: is not a stream.
    open_containers: list[bytes] = field(default_factory=list)
    #: The last token closed a dictionary, so ``stream`` may follow.
    after_dict: bool = False

    def push(self, kind: str, value: bytes) -> None:
        if len(self.header) < _HEADER_TOKENS_KEPT:
            self.header.append((kind, value))
        else:
            self.header_complete = False
        self.after_dict = False
        if kind == "name":  # /#3C#3C is a name, not a dictionary
            return
        if value in _CLOSES:
            if self.open_containers and self.open_containers[-1] == _CLOSES[value]:
                self.open_containers.pop()
                self.after_dict = value == b">>"
        elif value in (b"<<", b"["):
            self.open_containers.append(value)


_CLOSES = {b">>": b"<<", b"]": b"["}


def _comment_end(data: bytes, start: int, _work: _Work) -> int:
    m = _EOL.search(data, start)
    return m.start() if m else len(data)


def _string_end(data: bytes, start: int, work: _Work) -> int:
    """End of a literal string: balanced parentheses, backslash escapes."""
    depth, pos = 0, start
    while (m := _STRING_SPECIAL.search(data, pos)) is not None:
        work.spend()
        char = data[m.start()]
        if char == 0x5C:  # backslash: the next byte is literal
            pos = m.start() + 2
            continue
        depth += 1 if char == 0x28 else -1
        pos = m.start() + 1
        if depth == 0:
            return pos
    return len(data)


def _hex_end(data: bytes, start: int, _work: _Work) -> int:
    """A hex string ends at the first ``>``; readers skip anything else inside,
    ``(`` included, which is why it must not be taken for a literal string."""
    end = data.find(b">", start + 1)
    return len(data) if end < 0 else end + 1


_SKIP: dict[str, Callable[[bytes, int, _Work], int]] = {
    "comment": _comment_end,
    "string": _string_end,
    "hex": _hex_end,
}


def _stream_span(
    data: bytes, keyword_end: int, header: list[tuple[str, bytes]], complete: bool
) -> _Stream:
    start = _STREAM_START.match(data, keyword_end).end()  # type: ignore[union-attr]
    length = _direct_int(header, b"Length")
    if length is not None and _ENDSTREAM.match(data, start + length):
        end = start + length
    else:
        found = data.find(b"endstream", start)
        end = len(data) if found < 0 else found
    return _Stream(start=start, end=end, header=header, header_complete=complete)


def _direct_int(header: list[tuple[str, bytes]], key: bytes) -> int | None:
    """The value of ``/key`` when it is given once and as a plain number."""
    at = [i for i, token in enumerate(header) if token == ("name", key)]
    if len(at) != 1:
        return None
    value = header[at[0] + 1 : at[0] + 4]
    if not value or value[0][0] != "word" or not value[0][1].isdigit():
        return None
    if len(value) == 3 and value[2] == ("word", b"R"):  # an indirect reference
        return None
    return int(value[0][1])


def _filter_chain(header: list[tuple[str, bytes]]) -> list[bytes] | None:
    """The ``/Filter`` names in order, [] without one, None when unreadable."""
    at = [i for i, token in enumerate(header) if token == ("name", b"Filter")]
    if not at:
        return []
    if len(at) > 1 or at[0] + 1 >= len(header):
        return None
    first = header[at[0] + 1]
    if first[0] == "name":
        return [first[1]]
    if first != ("other", b"["):
        return None
    chain = []
    for kind, value in header[at[0] + 2 :]:
        if (kind, value) == ("other", b"]"):
            return chain
        if kind != "name":
            return None
        chain.append(value)
    return None


def _refuse_hidden_objects(data: bytes, skipped: list[tuple[int, int]]) -> None:
    """An object header inside string, comment or stream data is there to be
    found by the cross-reference table while hiding from a scanner."""
    starts = [s for s, _ in skipped]
    for m in _OBJECT_HEADER.finditer(data):
        keyword = m.end() - 3
        i = bisect.bisect_right(starts, keyword) - 1
        if i >= 0 and keyword < skipped[i][1]:
            raise PdfRefused("pdf_uninspectable")


def _decode_object_stream(raw: bytes, stream: _Stream, budget: int) -> bytes:
    """Undo the filters of an object stream, or refuse what we cannot read."""
    chain = _filter_chain(stream.header) if stream.header_complete else None
    unmodelled = any(k == "name" and v in _UNMODELLED_STREAM_KEYS for k, v in stream.header)
    if chain is None or unmodelled or any(f not in _FILTERS for f in chain):
        raise PdfRefused("pdf_uninspectable")
    try:
        for name in chain:
            raw = _FILTERS[name](raw, budget)
    except (zlib.error, ValueError) as exc:  # binascii.Error is a ValueError
        raise PdfRefused("pdf_uninspectable") from exc
    return raw


def _inflate(raw: bytes, budget: int) -> bytes:
    """zlib with a hard output cap: a 1 kB stream can inflate to gigabytes."""
    inflater = zlib.decompressobj()
    out = inflater.decompress(raw, budget + 1)
    if len(out) > budget:
        raise PdfRefused("pdf_uninspectable")
    return out


def _ascii_hex(raw: bytes, _budget: int) -> bytes:
    digits = re.sub(rb"[\x00\t\n\x0c\r ]", b"", raw.split(b">", 1)[0])
    return unhexlify(digits + b"0" * (len(digits) % 2))


def _ascii85(raw: bytes, _budget: int) -> bytes:
    text = raw.split(b"~>", 1)[0]
    return a85decode(text, ignorechars=b"\x00\t\n\x0c\r ")


_FILTERS: dict[bytes, Callable[[bytes, int], bytes]] = {
    b"FlateDecode": _inflate,
    b"Fl": _inflate,
    b"ASCIIHexDecode": _ascii_hex,
    b"AHx": _ascii_hex,
    b"ASCII85Decode": _ascii85,
    b"A85": _ascii85,
}
