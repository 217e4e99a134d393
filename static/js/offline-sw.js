/* The office's service worker (docs/offline.md), served at /office/sw.js by
   portal/web/office/offline.py, which writes in the hashed static files.
   It keeps those files, and the question pages' shells the page script puts
   in the "portal-shells" cache (pages with no answer and no key in them).
   Network first: a cached copy is used only when the network fails. Pages
   with personal data are never put in a cache. */
"use strict";
var STATIC = "portal-static-__VERSION__";
var PRECACHED = "__PRECACHED__";

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(STATIC).then(function (c) { return c.addAll(PRECACHED); }));
  self.skipWaiting();
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) {
      return n.indexOf("portal-static-") === 0 && n !== STATIC;
    }).map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  if (event.request.method !== "GET") return;
  event.respondWith(fetch(event.request).catch(function () {
    return caches.match(event.request.url).then(function (hit) { return hit || Response.error(); });
  }));
});
