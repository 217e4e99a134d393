/* Offline drafts (docs/offline.md): on the pages that carry #offline (the
   visit record, the assisted journey), a form sent while offline is kept in
   IndexedDB, encrypted with AES-GCM under this login session's key, and
   posted in order when the connection returns. The server's keys (the
   visit's "key", the check page's "idempotency_key") travel with it, so a
   second replay records nothing more. Without this script the pages work as
   before. */
(function () {
  "use strict";
  var KEY_ITEM = "portal-offline-key";
  var CSRF_ITEM = "portal-offline-csrf";
  var SHELLS = "portal-shells";
  var DB = "portal-offline";
  var STORE = "outbox";
  if (!window.indexedDB || !window.crypto || !crypto.subtle || !window.fetch) return;

  function box() { return document.getElementById("offline"); }

  /* The session's key: from the page (no-store), else from sessionStorage
     (a reload of a cached shell while offline). Ends with the tab. */
  var keyInfo = null;
  function readKey() {
    var b = box();
    if (b && b.dataset.key) {
      keyInfo = { k: b.dataset.key, id: b.dataset.kid };
      b.removeAttribute("data-key");
      try { sessionStorage.setItem(KEY_ITEM, JSON.stringify(keyInfo)); } catch (e) { /* private mode */ }
    } else if (!keyInfo) {
      try { keyInfo = JSON.parse(sessionStorage.getItem(KEY_ITEM) || "null"); } catch (e) { keyInfo = null; }
    }
    // A shell's forms have no CSRF token: the session's, from a live page.
    var token = document.querySelector("input[name=csrf_token]");
    if (token && token.value) sessionStorage.setItem(CSRF_ITEM, token.value);
    return keyInfo;
  }
  var cryptoKeys = {};
  function aesKey(info) {
    if (!cryptoKeys[info.id]) {
      var raw = Uint8Array.from(atob(info.k), function (c) { return c.charCodeAt(0); });
      cryptoKeys[info.id] = crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
    }
    return cryptoKeys[info.id];
  }

  function say(what, showForget) {
    var b = box();
    if (!b) return;
    document.getElementById("offline-text").textContent = b.dataset[what];
    document.getElementById("offline-forget").hidden = !showForget;
    b.hidden = false;
  }

  /* IndexedDB, promised. */
  function open() {
    return new Promise(function (resolve, reject) {
      var req = indexedDB.open(DB, 1);
      req.onupgradeneeded = function () { req.result.createObjectStore(STORE, { keyPath: "id", autoIncrement: true }); };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }
  function tx(mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(STORE, mode);
        var out = work(t.objectStore(STORE));
        t.oncomplete = function () { db.close(); resolve(out && "result" in out ? out.result : undefined); };
        t.onerror = function () { db.close(); reject(t.error); };
      });
    });
  }
  function all() { return tx("readonly", function (s) { return s.getAll(); }); }
  function remove(id) { return tx("readwrite", function (s) { s.delete(id); }); }

  function b64(buf) {
    var bytes = new Uint8Array(buf), out = "";
    for (var i = 0; i < bytes.length; i += 0x8000) {
      out += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    }
    return btoa(out);
  }
  function unb64(text) { return Uint8Array.from(atob(text), function (c) { return c.charCodeAt(0); }); }

  /* The form's fields and chosen files, as the browser would post them. */
  function serialise(form, submitter) {
    var data = new FormData(form, submitter || undefined);
    var fields = [], files = [];
    data.forEach(function (value, name) {
      if (name === "csrf_token" && !value) value = sessionStorage.getItem(CSRF_ITEM) || "";
      if (typeof value === "string") fields.push([name, value]);
      else if (value.size || value.name) files.push(value.arrayBuffer().then(function (buf) {
        return [name, value.name, value.type, b64(buf)];
      }));
    });
    return Promise.all(files).then(function (done) {
      // getAttribute: a button named "action" hides form.action.
      return { url: new URL(form.getAttribute("action") || "", location.href).href, fields: fields, files: done };
    });
  }

  function save(form, submitter, next) {
    var info = readKey();
    return Promise.all([serialise(form, submitter), aesKey(info)]).then(function (got) {
      got[0].next = next;
      var iv = crypto.getRandomValues(new Uint8Array(12));
      var plain = new TextEncoder().encode(JSON.stringify(got[0]));
      return crypto.subtle.encrypt({ name: "AES-GCM", iv: iv }, got[1], plain).then(function (sealed) {
        return tx("readwrite", function (s) { s.add({ kid: info.id, iv: iv, data: sealed, at: Date.now() }); });
      });
    });
  }

  function unseal(record, info) {
    return aesKey(info).then(function (key) {
      return crypto.subtle.decrypt({ name: "AES-GCM", iv: record.iv }, key, record.data);
    }).then(function (plain) {
      var draft = JSON.parse(new TextDecoder().decode(plain));
      var body = new FormData();
      draft.fields.forEach(function (f) { body.append(f[0], f[1]); });
      draft.files.forEach(function (f) { body.append(f[0], new File([unb64(f[3])], f[1], { type: f[2] }), f[1]); });
      return { url: draft.url, body: body, next: draft.next };
    });
  }

  /* The server's answer replaces the page (its flash message, or the form
     with its errors): the script keeps running, its listeners are on document. */
  function show(response, url) {
    return response.text().then(function (html) {
      var doc = new DOMParser().parseFromString(html, "text/html");
      document.title = doc.title;
      document.body.replaceWith(document.adoptNode(doc.body));
      history.replaceState(null, "", url || response.url);
      readKey();
      var main = document.getElementById("main");
      if (main) main.focus();
      prepare();
    });
  }

  var replaying = false;
  function replay() {
    if (replaying || !navigator.onLine || !reachable) return Promise.resolve();
    replaying = true;
    var info = readKey(), last = null, lost = 0;
    return all().then(function (records) {
      records.sort(function (a, b) { return a.id - b.id; });
      var readable = records.filter(function (r) { return info && r.kid === info.id; });
      lost = records.length - readable.length;
      if (readable.length) say("sending");
      var step = function (i) {
        if (i >= readable.length) return null;
        var record = readable[i];
        return unseal(record, info).then(function (req) {
          return fetch(req.url, { method: "POST", body: req.body, credentials: "same-origin" })
            .then(function (response) { response.expected = req.next; return response; });
        }).then(function (response) {
          // Sent: whatever the server says, the draft is now on the server or on screen.
          return remove(record.id).then(function () {
            last = response;
            // A question answered leads on (a redirect); anything else is shown, and we stop.
            // Answered offline from a shell: the server must lead where the shell did.
            var onward = response.redirected && response.ok && (!response.expected || response.url === response.expected);
            return onward ? step(i + 1) : null;
          });
        });
      };
      return step(0);
    }).then(function () {
      return last ? show(last) : null;
    }).catch(function () {
      /* still offline (fetch TypeError): the drafts stay for the next try */
    }).then(function () {
      replaying = false;
      if (lost) say("lost", true);
    });
  }

  function keep(form, submitter) {
    if (!readKey()) { say("nokey"); return; }
    // Pressed twice: saved once (each button of a form once: upload, then continue).
    var button = submitter ? submitter.name + "=" + submitter.value : "";
    var saved = (form.dataset.offlineSaved || "").split("\n");
    if (saved.indexOf(button) >= 0) { say("saved"); return; }
    form.dataset.offlineSaved = saved.concat([button]).join("\n");
    // Going on offline: the next question's shell, unless a file was only uploaded.
    var b = box(), onward = b.dataset.next && !(submitter && submitter.value === "upload");
    var next = onward ? new URL(b.dataset.next, location.href).href : null;
    save(form, submitter, next).then(function () {
      // The files are in the draft now: as after an upload online, the
      // inputs are empty again (Continue after Upload sends the file once).
      Array.prototype.forEach.call(form.querySelectorAll("input[type=file]"), function (i) { i.value = ""; });
      return all();
    }).then(function (records) {
      box().dataset.pending = records.length;
      return next ? caches.match(next) : null;
    }).then(function (shell) {
      return shell ? show(shell, next) : null;
    }).then(function () {
      say("saved");
      if (navigator.onLine) retry(); // the network came back while on a shell
    }, function () {
      form.dataset.offlineSaved = saved.join("\n");
      say("nokey");
    });
  }

  /* "Online" can lie (a Wi-Fi without internet): a tiny request to the
     server at load, every 30 s and when the browser says online again. */
  var reachable = true;
  function probe() {
    var b = box();
    if (!b || !navigator.onLine) return Promise.resolve();
    return fetch(b.dataset.probe, { cache: "no-store", credentials: "omit" }).then(function () {
      reachable = true;
    }, function () {
      if (reachable) say("offline"); // once: not over "Saved on this device"
      reachable = false;
    });
  }

  /* A form of an offline page: kept on the device when there is no network;
     otherwise sent by the browser itself, exactly as without this script. */
  document.addEventListener("submit", function (event) {
    var form = event.target, b = box();
    if (!b || (form.getAttribute("method") || "").toLowerCase() !== "post") return;
    if (navigator.onLine && reachable && !b.dataset.shell) return;
    event.preventDefault();
    keep(form, event.submitter);
  });

  document.addEventListener("click", function (event) {
    if (event.target.id !== "offline-forget") return;
    var info = readKey();
    all().then(function (records) {
      return Promise.all(records.filter(function (r) { return !info || r.kid !== info.id; }).map(function (r) { return remove(r.id); }));
    }).then(function () { box().hidden = true; });
  });

  // Logging out ends the key: forget this tab's copy too.
  document.addEventListener("submit", function (event) {
    if (/\/office\/logout$/.test(event.target.getAttribute("action") || "")) sessionStorage.removeItem(KEY_ITEM);
  }, true);

  /* While online: the worker (static files), and the shells of the
     questions still to come, so the journey can go on offline. */
  function prepare() {
    var b = box();
    if (!b || !navigator.onLine) return;
    if (navigator.serviceWorker && b.dataset.sw) navigator.serviceWorker.register(b.dataset.sw).catch(function () {});
    if (!b.dataset.shells || !window.caches) return;
    caches.open(SHELLS).then(function (cache) {
      JSON.parse(b.dataset.shells).forEach(function (pair) {
        fetch(pair[1], { credentials: "same-origin" }).then(function (r) {
          if (r.ok) return cache.put(new URL(pair[0], location.href).href, r);
        }).catch(function () {});
      });
    });
  }

  function retry() { return probe().then(replay); }
  window.addEventListener("online", retry);
  setInterval(retry, 30000); // no "online" event comes after a lying Wi-Fi
  window.addEventListener("offline", function () { if (box()) say("offline"); });
  readKey();
  prepare();
  if (navigator.onLine) retry();
  else say("offline");
})();
