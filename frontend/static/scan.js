// Zhunong — the scan page, offline-capable. Without this script the page
// is a plain form that posts each scan to the server. With it, each scan
// goes to the JSON API with its own Idempotency-Key and the time it was
// scanned; when the link is down the scan waits in IndexedDB and is sent
// when the link returns (the `online` event, and a retry every 20 s), so
// a village point without a connection keeps scanning. A scan the server
// refuses is listed with its reason, worded from the table the page
// embeds (never the API's English). The service worker /hub/sw.js keeps
// the page and its files for opening without a link.
(function () {
  'use strict';
  var form = document.getElementById('scan-form');
  var wordsEl = document.getElementById('scan-words');
  if (!form || !wordsEl || !window.fetch || !window.indexedDB || !window.JSON) return;
  var W = JSON.parse(wordsEl.textContent);
  var node = form.dataset.node;
  // Scans belong to who made them: queued scans of another operator who
  // used this phone wait for that operator, never go out under this one.
  var user = form.dataset.user;
  var csrf = form.querySelector('input[name=csrf]').value;
  var codeInput = document.getElementById('scan-code');
  var result = document.getElementById('scan-result');
  var offline = document.getElementById('scan-offline');
  var RETRY_MS = 20000;

  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register('/hub/sw.js', { scope: '/hub/' }).catch(function () {});
  }

  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (m, k) { return values[k] === undefined ? m : String(values[k]); });
  }
  function kg(g) {
    var tenths = Math.floor((g + 50) / 100);
    return tenths % 10 === 0 ? String(tenths / 10) : (Math.floor(tenths / 10) + '.' + (tenths % 10));
  }
  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    // Plain http off localhost has no randomUUID; getRandomValues works.
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join('');
    return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20);
  }
  function localTime(iso) {
    var d = new Date(iso);
    function two(n) { return (n < 10 ? '0' : '') + n; }
    return two(d.getMonth() + 1) + '-' + two(d.getDate()) + ' ' + two(d.getHours()) + ':' + two(d.getMinutes()) + ':' + two(d.getSeconds());
  }

  // ---- IndexedDB: two stores, scans waiting and scans refused.
  var dbp = new Promise(function (resolve, reject) {
    var open = indexedDB.open('zhunong-scans', 1);
    open.onupgradeneeded = function () {
      open.result.createObjectStore('waiting', { keyPath: 'key' });
      open.result.createObjectStore('refused', { keyPath: 'key' });
    };
    open.onsuccess = function () { resolve(open.result); };
    open.onerror = function () { reject(open.error); };
  });
  function store(name, mode, fn) {
    return dbp.then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(name, mode);
        var out = fn(tx.objectStore(name));
        tx.oncomplete = function () { resolve(out && out.result); };
        tx.onerror = function () { reject(tx.error); };
      });
    });
  }
  function all(name) { return store(name, 'readonly', function (s) { return s.getAll(); }); }
  function put(name, scan) { return store(name, 'readwrite', function (s) { s.put(scan); }); }
  function remove(name, key) { return store(name, 'readwrite', function (s) { s.delete(key); }); }

  // ---- What the page shows.
  function show(ok, headline, detail) {
    result.className = 'scan-result ' + (ok ? 'ok' : ok === false ? 'bad' : 'wait');
    result.textContent = '';
    var h = document.createElement('p');
    h.className = 'headline';
    h.textContent = (ok ? '✔ ' : ok === false ? '✖ ' : '… ') + headline;
    result.appendChild(h);
    if (detail) {
      var p = document.createElement('p');
      if (ok === false) p.className = 'error';
      p.textContent = detail;
      result.appendChild(p);
    }
  }
  function describe(scan) {
    return scan.code + ' · ' + (W.events[scan.event] || scan.event) + ' · ' + localTime(scan.at);
  }
  function renderLists() {
    return Promise.all([all('waiting'), all('refused')]).then(function (lists) {
      var mine = function (s) { return s.node === node && s.user === user; };
      var waiting = lists[0].filter(mine), refused = lists[1].filter(mine);
      var wl = document.getElementById('scan-waiting'), rl = document.getElementById('scan-refused');
      wl.textContent = ''; rl.textContent = '';
      waiting.sort(function (a, b) { return a.at < b.at ? -1 : 1; }).forEach(function (s) {
        var li = document.createElement('li'); li.textContent = describe(s); li.dataset.code = s.code; wl.appendChild(li);
      });
      refused.forEach(function (s) {
        var li = document.createElement('li'); li.dataset.code = s.code;
        li.textContent = describe(s) + ' — ';
        var why = document.createElement('span'); why.className = 'error'; why.textContent = s.reason; li.appendChild(why);
        rl.appendChild(li);
      });
      document.getElementById('scan-waiting-count').textContent = '(' + waiting.length + ')';
      document.getElementById('scan-queue').hidden = waiting.length === 0;
      document.getElementById('scan-refusals').hidden = refused.length === 0;
    });
  }

  // The reason of a refusal, from the API's status and problem+json.
  function reason(status, body, scan) {
    var errors = (body && body.errors) || [];
    var codeOf = function (field) {
      for (var i = 0; i < errors.length; i++) if (errors[i].field === field) return errors[i];
      return null;
    };
    if (status === 404) return W.not_found;
    if (status === 403) return W.not_your_node;
    if (status === 409) {
      // The API names the state the shipment is in (code shipment_state,
      // "the shipment is dispatched"); only a known state's name is taken.
      var e = codeOf('event'), m = e && e.code === 'shipment_state' && /\b([a-z]+)$/.exec(e.message || '');
      var state = m && W.states[m[1]];
      return state ? fill(W.out_of_order, { state: state, event: W.events[scan.event] || scan.event }) : W.out_of_order_any;
    }
    if (status === 422) {
      if (codeOf('at')) return W.too_old;
      var ev = codeOf('event');
      if (ev && ev.code === 'scan_event') return W.wrong_event[scan.event] || W.wrong_node;
      if (codeOf('node_id')) return W.wrong_node;
      if (codeOf('Idempotency-Key')) return W.out_of_order_any;
    }
    return W.failed;
  }

  // Sends one scan. Resolves 'done', 'refused' or 'later' (no answer, or
  // the server asks to come back: the scan stays waiting).
  var inflight = {};
  function send(scan) {
    // A scan already on its way (the retry timer met a fresh scan) is not
    // sent twice at once: the server would take the second for a reused key.
    if (inflight[scan.key]) return Promise.resolve('later');
    inflight[scan.key] = true;
    var settle = function (r) { delete inflight[scan.key]; return r; };
    return fetch('/api/v1/shipments/' + encodeURIComponent(scan.code) + '/scans', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'Idempotency-Key': scan.key, 'X-CSRF-Token': csrf },
      body: JSON.stringify({ node_id: scan.node, event: scan.event, at: scan.at }),
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (body) {
        if (res.status === 201 || res.status === 200) {
          var s = body.shipment || {};
          var to = s.to && s.to.name ? s.to.name : W.buyer;
          show(true, fill(W.ok, { event: W.events[scan.event] || scan.event, code: scan.code }),
            s.from ? fill(W.ok_detail, { from: s.from.name, to: to, lines: (s.lines || []).length, kg: kg(s.weight_g || 0) }) : '');
          return remove('waiting', scan.key).then(function () { return 'done'; });
        }
        if (res.status >= 500 || res.status === 429 || res.status === 408) return 'later';
        if (res.status === 401) {
          // Signed out: the scan waits until the page is opened signed in.
          show(false, fill(W.refused_title, { code: scan.code }), W.signed_out);
          return 'later';
        }
        scan.reason = reason(res.status, body, scan);
        show(false, fill(W.refused_title, { code: scan.code }), scan.reason);
        return put('refused', scan).then(function () { return remove('waiting', scan.key); }).then(function () { return 'refused'; });
      });
    }, function () { return 'later'; }).then(settle, function (e) { settle(); throw e; });
  }

  var flushing = false;
  function flush() {
    if (flushing) return Promise.resolve();
    flushing = true;
    return all('waiting').then(function (list) {
      list = list.filter(function (s) { return s.node === node && s.user === user; }).sort(function (a, b) { return a.at < b.at ? -1 : 1; });
      // One at a time, oldest first, stopping at the first that cannot go.
      var next = function (i) {
        if (i >= list.length) return Promise.resolve();
        return send(list[i]).then(function (r) { return r === 'later' ? null : next(i + 1); });
      };
      return next(0);
    }).then(renderLists, renderLists).then(function () { flushing = false; }, function () { flushing = false; });
  }

  function online(on) { offline.hidden = on; }
  window.addEventListener('online', function () { online(true); flush(); });
  window.addEventListener('offline', function () { online(false); });
  online(navigator.onLine !== false);
  setInterval(function () { if (navigator.onLine !== false) flush(); }, RETRY_MS);

  form.addEventListener('submit', function (e) {
    e.preventDefault();
    e.stopImmediatePropagation();
    var code = codeInput.value.trim().toUpperCase();
    var checked = form.querySelector('input[name=event]:checked');
    codeInput.value = '';
    codeInput.focus();
    if (!code || !checked) return;
    if (!/^SH[0-9A-Z]{7}$/.test(code)) { show(false, fill(W.refused_title, { code: '' }), W.not_a_code); return; }
    var scan = { key: uuid(), code: code, node: node, user: user, event: checked.value, at: new Date().toISOString() };
    // The scan is kept first, so a page closed mid-request loses nothing;
    // the key makes a second sending of it harmless.
    put('waiting', scan).then(function () {
      if (navigator.onLine === false) return 'later';
      return send(scan);
    }).then(function (r) {
      if (r === 'later') show(null, scan.code + ' · ' + (W.events[scan.event] || scan.event), W.queued);
      return renderLists();
    });
  }, true);

  document.getElementById('scan-dismiss').addEventListener('click', function () {
    all('refused').then(function (list) {
      return Promise.all(list.filter(function (s) { return s.node === node && s.user === user; }).map(function (s) { return remove('refused', s.key); }));
    }).then(renderLists);
  });

  flush();
})();
