"""Helpers of the offline drafts' browser tests (docs/offline.md)."""

from __future__ import annotations

import base64

#: Every record of the outbox, its stored bytes (iv + sealed data) in base64.
READ_OUTBOX = """() => new Promise((resolve, reject) => {
  const open = indexedDB.open("portal-offline", 1);
  open.onupgradeneeded = () =>
    open.result.createObjectStore("outbox", {keyPath: "id", autoIncrement: true});
  open.onsuccess = () => {
    const req = open.result.transaction("outbox").objectStore("outbox").getAll();
    req.onsuccess = () => {
      open.result.close();
      resolve(req.result.map((r) => {
        const bytes = new Uint8Array(r.data);
        let text = "";
        for (const b of bytes) text += String.fromCharCode(b);
        return {kid: r.kid, data: btoa(text), keys: Object.keys(r).sort()};
      }));
    };
    req.onerror = () => reject(req.error);
  };
})"""


def outbox_records(page) -> list[bytes]:
    """The saved drafts as stored: each record's every field but the sealed
    data is metadata (id, key id, iv, time), checked here."""
    records = page.evaluate(READ_OUTBOX)
    for r in records:
        assert r["keys"] == ["at", "data", "id", "iv", "kid"]
    return [base64.b64decode(r["data"]) for r in records]


def press_submit(page, form: str, button: str = "button[type=submit]") -> None:
    """Press a form's button while offline: no page load follows."""
    page.click(f"{form} {button}", no_wait_after=True)


def wait_saved(page) -> None:
    """The status box says the form is saved on this device."""
    page.wait_for_function(
        "() => { const b = document.getElementById('offline');"
        " return b && !b.hidden && document.getElementById('offline-text').textContent"
        " === b.dataset.saved; }"
    )


#: Every cached response of every cache: {cache: {url: body}}.
READ_CACHES = """async () => {
  const out = {};
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    out[name] = {};
    for (const request of await cache.keys()) {
      out[name][request.url] = await (await cache.match(request)).text();
    }
  }
  return out;
}"""


def cached(page) -> dict[str, dict[str, str]]:
    """What the browser's caches hold (the worker's and the shells')."""
    return page.evaluate(READ_CACHES)


def wait_for_path(page, path: str) -> None:
    """The page's URL is now ``path`` (a shell shown or a replay's answer:
    the address changes without a page load)."""
    page.wait_for_function("(p) => location.pathname === p", arg=path)
