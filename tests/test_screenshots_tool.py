"""``make screenshots`` (tools/screenshots.py) without a browser: its page
table is well-formed, the committed PNGs are exactly the ones the table
makes (a page added, renamed or dropped without running it again shows
here), they are kept small, and every screenshot README.md shows exists."""

from __future__ import annotations

import re

from PIL import Image

from portal.config import ROOT
from tools import screenshots

NAME = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")
#: Images README.md shows: <img src="…"> and ![…](…).
README_IMAGES = re.compile(r"""(?:src="|\]\()(docs/screenshots/[^")\s]+)""")


def made_by_the_table() -> set[str]:
    return {
        f"{lang}/{size}-{shot.name}.png"
        for shot in screenshots.PAGES
        for size in shot.sizes
        for lang in screenshots.LANGS
    }


def committed() -> set[str]:
    return {str(p.relative_to(screenshots.OUT)) for p in screenshots.OUT.glob("*/*.png")}


def test_the_page_table_is_well_formed():
    names = [shot.name for shot in screenshots.PAGES]
    assert len(names) == len(set(names)), "two rows make the same file"
    whos = {"resident", "visitor", *screenshots.STAFF}
    for shot in screenshots.PAGES:
        assert NAME.fullmatch(shot.name), shot.name
        assert shot.who in whos, shot
        assert shot.sizes and set(shot.sizes) <= screenshots.SIZES.keys(), shot
        assert callable(shot.go) or (isinstance(shot.go, str) and shot.go.startswith("/")), shot
    # The pages the README promises are in the table.
    assert {"home", "lookup-result", "question-error", "tracking", "office-queue"} <= set(names)
    assert set(screenshots.LANGS) == {"id", "en"}


def test_a_journey_starts_with_a_page_to_open():
    """Each browser's first row opens a path: a step function clicks on from
    the page before, and a fresh browser has none."""
    first = {}
    for shot in screenshots.PAGES:
        first.setdefault(shot.who, shot)
    assert all(isinstance(shot.go, str) for shot in first.values()), first


def test_the_committed_screenshots_are_the_ones_the_table_makes():
    assert committed() == made_by_the_table(), "run `make screenshots` again"
    assert len(made_by_the_table()) >= 60


def test_the_screenshots_are_small_palette_pngs():
    for name in sorted(committed()):
        path = screenshots.OUT / name
        size = name.split("/")[1].split("-")[0]
        (viewport, max_height) = screenshots.SIZES[size]
        with Image.open(path) as image:
            assert image.format == "PNG" and image.mode == "P", name
            assert image.width == viewport["width"], name
            assert image.height <= max_height, name
        assert path.stat().st_size < 80 * 1024, name


def test_every_screenshot_readme_shows_exists():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = README_IMAGES.findall(readme)
    assert len(shown) >= 5  # the phone journey and the office
    for link in shown:
        assert (ROOT / link).is_file(), f"README.md shows {link}, which is missing"
        assert link.removeprefix("docs/screenshots/") in made_by_the_table(), link
    assert "make screenshots" in readme
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^screenshots:.*## ", makefile, re.MULTILINE)
    assert "tools/screenshots.py" in makefile
