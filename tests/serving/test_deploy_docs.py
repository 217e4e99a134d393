"""deploy/README.md's environment table names every variable the app and
its server read (issue 14 §1): a new setting without a row fails here."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: ``os.environ.get("X"``, ``os.environ["X"]``, ``env.get("X"`` (the key
#: loader), ``_setting("X"`` (the shedding worker), across lines.
READ = re.compile(
    r"""(?:environ\.get\(|environ\[|env\.get\(|_setting\()\s*["']([A-Z][A-Z0-9_]+)["']"""
)
SOURCES = ["portal/**/*.py", "app.py", "gunicorn.conf.py"]


def variables_read() -> set[str]:
    names = set()
    for pattern in SOURCES:
        for path in ROOT.glob(pattern):
            names |= set(READ.findall(path.read_text()))
    return names


def test_every_variable_read_has_a_row():
    table = (ROOT / "deploy" / "README.md").read_text()
    rows = set(re.findall(r"^\| `([A-Z0-9_]+)`(?:, `([A-Z0-9_]+)`)?", table, re.M))
    documented = {name for row in rows for name in row if name}
    found = variables_read()
    assert {"DATABASE_URL", "PORTAL_SHED_QUEUE", "WEB_CONCURRENCY"} <= found  # the scan works
    assert sorted(found - documented) == []
