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
