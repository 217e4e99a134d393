"""axe-core in the browser tests: ``assert_axe_clean(page)`` checks the page
the browser shows now against WCAG 2.0, 2.1 and 2.2, levels A and AA, and
fails with one readable line per violation and element.

axe-core is the npm package pinned in package-lock.json, installed into
node_modules/ by ``make test`` (``npm ci --ignore-scripts``). It is injected
through the DevTools protocol (``page.evaluate``), which the page's Content
Security Policy does not govern and which works in a context with the page's
own JavaScript turned off, so the pages are checked as they are served.

With the page's JavaScript off, Chromium runs no timer callbacks, and axe
waits on ``setTimeout(…, 0)`` between its steps: axe gets timers of its own
(the names shadowed in its scope only, the page's untouched) that run a
zero-delay callback as a microtask and never run a delayed one (axe's delays
are only give-up timeouts, for frames and asset loading, which the checks
here do not use: ``iframes: false``, ``preload: false``)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from tests.services import missing

AXE_JS = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
#: axe's tags for the success criteria of WCAG 2.0, 2.1 and 2.2 at A and AA.
WCAG_AA = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa")

#: axe's source runs inside this, so its ``setTimeout`` is this one.
SCOPE_JS = """(function (setTimeout, clearTimeout) {
%s
}).call(window, (callback, delay, ...args) => {
  if (!(delay > 0)) Promise.resolve().then(() => callback(...args));
  return 0;
}, () => {});"""

RUN_JS = """async ([context, tags]) => {
  const results = await axe.run(context || document, {
    runOnly: {type: 'tag', values: tags},
    resultTypes: ['violations'],
    iframes: false,
    preload: false,
  });
  return results.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map(n => ({target: n.target, summary: n.failureSummary})),
  }));
}"""


@cache
def axe_source() -> str:
    if not AXE_JS.exists():
        missing("axe-core", f"at {AXE_JS} (make test installs it: npm ci --ignore-scripts)")
    return SCOPE_JS % AXE_JS.read_text(encoding="utf-8")


def axe_violations(page, context: str | dict | None = None) -> list[dict]:
    """axe's violations on the page now: ``context`` is axe's (a CSS selector
    or ``{"include": …, "exclude": …}``); the whole document by default."""
    page.wait_for_load_state()
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source())
    return page.evaluate(RUN_JS, [context, list(WCAG_AA)])


def describe(violations: list[dict]) -> str:
    """One line per violation and element: rule, impact, selector, help."""
    lines = []
    for v in violations:
        for node in v["nodes"]:
            target = " ".join(" >> ".join(t) if isinstance(t, list) else t for t in node["target"])
            lines.append(f"  {v['id']} ({v['impact']}) at {target}: {v['help']} <{v['helpUrl']}>")
            lines.extend(f"      {line}" for line in node["summary"].splitlines() if line.strip())
    return "\n".join(lines)


def assert_axe_clean(page, context: str | dict | None = None, name: str = "") -> None:
    """Fail with every WCAG 2.2 A/AA violation axe finds on ``page``."""
    violations = axe_violations(page, context)
    if violations:
        where = f"{name} ({page.url})" if name else page.url
        raise AssertionError(
            f"axe: {len(violations)} WCAG A/AA rule(s) fail on {where}:\n" + describe(violations)
        )
