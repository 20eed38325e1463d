// Zhunong — progressive enhancement only: every page works without this.
// A form submits once: on a slow link a second tap must not send it again.
document.addEventListener('submit', function (event) {
  var form = event.target;
  if (form.dataset.sent) { event.preventDefault(); return; }
  form.dataset.sent = '1';
  var buttons = form.querySelectorAll('button[type=submit]');
  for (var i = 0; i < buttons.length; i++) buttons[i].setAttribute('aria-busy', 'true');
});

// The search page: facet links, sorting and paging swap only the results
// (the server sends just that fragment for X-Partial: 1). Without this
// script every link and the form still work as ordinary navigation.
(function () {
  var box = document.getElementById('search');
  if (!box || !window.fetch || !window.history.pushState) return;
  function load(url, push) {
    box.setAttribute('aria-busy', 'true');
    fetch(url, { headers: { 'X-Partial': '1' }, credentials: 'same-origin' })
      .then(function (r) { return r.text(); })
      .then(function (html) {
        box.innerHTML = html;
        box.removeAttribute('aria-busy');
        if (push) history.pushState(null, '', url);
      })
      .catch(function () { window.location.href = url; });
  }
  box.addEventListener('click', function (e) {
    var a = e.target.closest('a[data-live]');
    if (!a || e.metaKey || e.ctrlKey || e.shiftKey) return;
    e.preventDefault();
    load(a.getAttribute('href'), true);
  });
  box.addEventListener('submit', function (e) {
    var form = e.target.closest('form[data-live]');
    if (!form) return;
    e.preventDefault();
    e.stopImmediatePropagation();
    load('/search?' + new URLSearchParams(new FormData(form)).toString(), true);
  }, true);
  box.addEventListener('change', function (e) {
    if (e.target.name === 'sort') e.target.form.requestSubmit();
  });
  window.addEventListener('popstate', function () { load(window.location.href, false); });
})();

// Uploads show their progress on a slow link; the server's answer replaces
// the page as a normal submit would.
document.addEventListener('submit', function (e) {
  var form = e.target;
  if (!form.matches('form[data-upload]') || !window.XMLHttpRequest || !window.FormData) return;
  e.preventDefault();
  var bar = form.querySelector('progress');
  var xhr = new XMLHttpRequest();
  xhr.open('POST', form.action);
  if (bar) {
    bar.hidden = false;
    xhr.upload.onprogress = function (p) { if (p.lengthComputable) bar.value = Math.round(100 * p.loaded / p.total); };
  }
  xhr.onload = function () { document.open(); document.write(xhr.responseText); document.close(); };
  xhr.onerror = function () { form.removeAttribute('data-upload'); delete form.dataset.sent; form.submit(); };
  xhr.send(new FormData(form));
}, true);

// The invoice's print button (hidden without this script; the browser's
// own print command works either way). A handler here rather than a
// javascript: link, which the Content-Security-Policy forbids.
(function () {
  var buttons = document.querySelectorAll('[data-print]');
  for (var i = 0; i < buttons.length; i++) {
    buttons[i].hidden = false;
    buttons[i].addEventListener('click', function () { window.print(); });
  }
})();

// The lot form's household picker: households are found as the manager
// types (the form's "find" button asks the server the same without this
// script), "add rows" adds rows here rather than by a round trip, and the
// quantities' unit follows the chosen product.
(function () {
  var form = document.getElementById('lot-form');
  if (!form || !window.fetch || !window.DOMParser) return;
  var q = form.querySelector('input[name=q]');
  var line = document.getElementById('pick-line');
  var rows = document.getElementById('rows');
  var timer = null, asked = 0;
  function find() {
    var n = ++asked;
    fetch('/console/lots/households?q=' + encodeURIComponent(q.value), { credentials: 'same-origin' })
      .then(function (r) { return r.text().then(function (html) { return { ok: r.ok, html: html }; }); })
      .then(function (a) {
        if (n !== asked) return; // a later search is on its way
        var doc = new DOMParser().parseFromString(a.html, 'text/html');
        var said = doc.getElementById('pick-line');
        line.textContent = said ? said.textContent : '';
        if (!a.ok) return;
        var found = doc.querySelectorAll('#pick-options option');
        var selects = rows.querySelectorAll('select[name=household]');
        for (var i = 0; i < selects.length; i++) {
          var s = selects[i], keep = s.value;
          for (var j = s.options.length - 1; j > 0; j--) if (s.options[j].value !== keep) s.remove(j);
          for (var k = 0; k < found.length; k++) if (found[k].value !== keep) s.add(found[k].cloneNode(true));
        }
      });
  }
  q.addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(find, 250); });
  q.addEventListener('keydown', function (e) {
    if (e.key === 'Enter') { e.preventDefault(); clearTimeout(timer); find(); }
  });
  form.addEventListener('click', function (e) {
    var b = e.target.closest('button[name=action]');
    if (!b) return;
    e.preventDefault();
    // Enter in a field "clicks" the form's first button, which is "find":
    // the manager meant to save.
    if (e.detail === 0 && document.activeElement !== b) { form.requestSubmit(form.querySelector('button:not([name])')); return; }
    if (b.value === 'find') { clearTimeout(timer); find(); return; }
    var max = +b.dataset.max, last = rows.lastElementChild, first = null;
    for (var n = 0; n < 5 && rows.children.length < max; n++) {
      var row = last.cloneNode(true), index = rows.children.length + 1;
      var fields = row.querySelectorAll('select, input');
      for (var i = 0; i < fields.length; i++) {
        fields[i].value = '';
        fields[i].setAttribute('aria-label', fields[i].getAttribute('aria-label').replace(/\d+$/, index));
      }
      rows.appendChild(row);
      first = first || row.querySelector('select');
    }
    if (rows.children.length >= max) { b.hidden = true; document.getElementById('rows-full').hidden = false; }
    if (first) first.focus();
  });
  form.querySelector('select[name=product_id]').addEventListener('change', function (e) {
    var unit = e.target.selectedOptions[0].getAttribute('data-unit');
    var spans = form.querySelectorAll('.unit');
    for (var i = 0; i < spans.length; i++) spans[i].textContent = unit;
  });
})();
