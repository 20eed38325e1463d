// Zhunong — the scan page's service worker (served as /hub/sw.js, scope
// /hub/). The server puts two lines before this text: CACHE, a name that
// carries the hash of this file and of the static files' names, and
// ASSETS, the static files' content-hashed URLs. A new release is a new
// cache; the old one is deleted when the new worker takes over.
//
// Static files come from the cache (their names change with their
// content). The scan page is fetched from the network and kept; without a
// link the kept copy opens, and its script queues scans on the device.
// Nothing else is touched: API calls and every other page go straight to
// the network.
self.addEventListener('install', function (event) {
  event.waitUntil(caches.open(CACHE).then(function (c) { return c.addAll(ASSETS); }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener('activate', function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k.indexOf('zhunong-scan-') === 0 && k !== CACHE; })
      .map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

var SCAN_PAGE = /^\/hub\/nodes\/[0-9]+\/scan$/;

self.addEventListener('fetch', function (event) {
  var req = event.request;
  if (req.method !== 'GET') return;
  var url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (ASSETS.indexOf(url.pathname) >= 0) {
    event.respondWith(caches.match(req).then(function (hit) { return hit || fetch(req); }));
    return;
  }
  if (SCAN_PAGE.test(url.pathname)) {
    event.respondWith(fetch(req).then(function (res) {
      if (res.ok) {
        var copy = res.clone();
        caches.open(CACHE).then(function (c) { return c.put(url.pathname, copy); });
      }
      return res;
    }, function () {
      return caches.match(url.pathname).then(function (hit) { return hit || Response.error(); });
    }));
  }
});
