"""README.md's configuration table cannot drift from the code (issue 9 §1):
every environment variable the app reads is listed, nothing else is, and a
plain default in ``os.environ.get(NAME, "default")`` is the one shown."""

from __future__ import annotations

import re

from portal.config import ROOT

#: ``os.environ.get("NAME"`` / ``env.get("NAME"`` / ``environ["NAME"]``, over line breaks.
READS = re.compile(r"\b(?:environ|env)(?:\.get\(|\[)\s*\"([A-Z][A-Z0-9_]+)\"")
DEFAULT = re.compile(r"\benviron\.get\(\s*\"([A-Z][A-Z0-9_]+)\",\s*\"([^\"]*)\"\s*\)")
#: A table row whose first cell names variables: | `A`, `B` | default | meaning |
ROW = re.compile(r"^\| (`[A-Z][A-Z0-9_]+`(?:, `[A-Z][A-Z0-9_]+`)*) \| ([^|]*) \|", re.MULTILINE)


def configuration_table() -> dict[str, str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for names, default in ROW.findall(section):
        for name in re.findall(r"`([A-Z0-9_]+)`", names):
            rows[name] = default.strip()
    return rows


def read_by_the_app() -> tuple[set[str], dict[str, str]]:
    names, defaults = set(), {}
    for path in [ROOT / "app.py", *sorted((ROOT / "portal").rglob("*.py"))]:
        source = path.read_text(encoding="utf-8")
        names.update(READS.findall(source))
        defaults.update(DEFAULT.findall(source))
    return names, defaults


def test_every_setting_read_from_the_environment_is_in_the_readme_and_only_those():
    table = configuration_table()
    names, _ = read_by_the_app()
    config_py = set(READS.findall((ROOT / "portal" / "config.py").read_text(encoding="utf-8")))
    # The scan works: the limits the review found missing are seen.
    assert {"PORTAL_SUBMIT_LIMIT_PER_IP", "PORTAL_TRACK_LIMIT_PER_IP"} <= config_py
    assert sorted(names - table.keys()) == [], "read by the app, missing from README's table"
    assert sorted(table.keys() - names) == [], "in README's table, read nowhere"


def test_the_readme_shows_the_defaults_the_code_uses():
    table = configuration_table()
    _, defaults = read_by_the_app()
    shown = {name: table[name] for name in defaults if table.get(name, "").startswith("`")}
    assert shown == {name: f"`{value}`" for name, value in defaults.items() if name in shown}
    assert "PORTAL_LOOKUP_LIMIT_PER_IP" in shown  # the comparison covers the limits
