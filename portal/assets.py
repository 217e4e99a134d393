"""Static files under content-hashed names, compressed once at start-up.

``url_for('static', filename='css/portal.css')`` gives
``/static/css/portal.<hash>.css``: a new release changes the name, so that
name is served with a year-long immutable cache and the browser never asks
again. The plain name still works, with a short cache, for anything that
hard-codes it. Text files are read once when the app starts, with their
gzip and brotli forms, and served from memory according to Accept-Encoding.

The receipt renderer reads static files from disk by their plain names
(``portal.tickets.receipt``), so nothing here touches it.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path

import brotli
from flask import Flask, Response, current_app, request, send_from_directory

IMMUTABLE = "public, max-age=31536000, immutable"
#: The plain name: a deploy reaches everyone within five minutes.
SHORT = "public, max-age=300"
HASH_CHARS = 12
#: Kept in memory with their compressed forms; larger or binary files are sent from disk.
TEXT_TYPES = frozenset(
    {"text/css", "text/javascript", "application/javascript", "image/svg+xml", "application/json"}
)
MAX_IN_MEMORY = 1024 * 1024


@dataclass(frozen=True)
class Asset:
    name: str  # the plain name, relative to the static folder: css/portal.css
    hashed: str  # css/portal.<hash>.css
    digest: str
    mimetype: str
    #: encoding ("identity", "br", "gzip") → bytes; only text files, only when smaller.
    bodies: dict[str, bytes]


def hashed_name(name: str, digest: str) -> str:
    path = Path(name)
    return str(path.with_name(f"{path.stem}.{digest[:HASH_CHARS]}{path.suffix}"))


def _asset(root: Path, path: Path) -> Asset:
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    name = path.relative_to(root).as_posix()
    mimetype = mimetypes.guess_type(name)[0] or "application/octet-stream"
    bodies: dict[str, bytes] = {}
    if mimetype in TEXT_TYPES and len(data) <= MAX_IN_MEMORY:
        bodies["identity"] = data
        # Once per start: the slowest, smallest settings are affordable.
        for encoding, packed in (
            ("br", brotli.compress(data, quality=11)),
            ("gzip", gzip.compress(data, compresslevel=9, mtime=0)),
        ):
            if len(packed) < len(data):
                bodies[encoding] = packed
    return Asset(name, hashed_name(name, digest), digest, mimetype, bodies)


#: (path, size, mtime) → Asset: tests and tools build many apps in one process.
_seen: dict[tuple[str, int, int], Asset] = {}


def scan(root: Path) -> dict[str, Asset]:
    """Every file under ``root``, by plain and by hashed name."""
    table: dict[str, Asset] = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.name.startswith("."):
            stat = path.stat()
            key = (str(path), stat.st_size, stat.st_mtime_ns)
            asset = _seen.get(key) or _seen.setdefault(key, _asset(root, path))
            table[asset.name] = table[asset.hashed] = asset
    return table


def preferred_encoding(asset: Asset) -> str:
    """br, then gzip, as the request accepts them (``q=0`` refuses one)."""
    accepted = request.accept_encodings
    for encoding in ("br", "gzip"):
        if encoding in asset.bodies and accepted[encoding] > 0:
            return encoding
    return "identity"


def init_app(app: Flask) -> None:
    if not app.static_folder or "static" not in app.view_functions:
        return
    root = Path(app.static_folder)
    assets = app.extensions["static_assets"] = scan(root)

    @app.url_defaults
    def _hashed_static_urls(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "filename" in values:
            asset = assets.get(values["filename"])
            if asset is not None:
                values["filename"] = asset.hashed

    def static(filename: str) -> Response:
        asset = assets.get(filename)
        if asset is None:
            # Added since start-up: Flask's own view (safe paths, 404s).
            return current_app.send_static_file(filename)
        cache = IMMUTABLE if filename == asset.hashed else SHORT
        if not asset.bodies:
            response = send_from_directory(root, asset.name, max_age=None, conditional=True)
        else:
            encoding = preferred_encoding(asset)
            response = Response(asset.bodies[encoding], mimetype=asset.mimetype)
            if encoding != "identity":
                response.headers["Content-Encoding"] = encoding
            response.vary.add("Accept-Encoding")
            response.set_etag(f"{asset.digest[: HASH_CHARS * 2]}-{encoding}")
            response.make_conditional(request)
        response.headers["Cache-Control"] = cache
        return response

    app.view_functions["static"] = static
