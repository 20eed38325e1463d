// The checkout's region picker, updated in place: choosing a region asks
// the server for the picker down to it (X-Partial: 1) and swaps only the
// picker, so nothing typed in the form is touched. Without this script
// the button beside the lists sends the whole form, which comes back with
// the new region and every field as typed.
(function () {
  var box = document.getElementById('picker');
  if (!box || !window.fetch) return;
  function hideButton() {
    var b = box.querySelector('#pick-region');
    if (b) b.hidden = true;
  }
  hideButton();
  box.addEventListener('change', function (e) {
    var s = e.target;
    if (!s.matches('select[name=level]') || !s.value) return;
    var lists = Array.prototype.slice.call(box.querySelectorAll('select[name=level]'));
    var at = lists.indexOf(s);
    box.setAttribute('aria-busy', 'true');
    fetch('/checkout?region=' + encodeURIComponent(s.value), { headers: { 'X-Partial': '1' }, credentials: 'same-origin' })
      .then(function (r) { if (!r.ok) throw new Error('status ' + r.status); return r.text(); })
      .then(function (html) {
        box.innerHTML = html;
        box.removeAttribute('aria-busy');
        hideButton();
        var next = box.querySelectorAll('select[name=level]')[at + 1] || box.querySelectorAll('select[name=level]')[at];
        if (next) next.focus();
      })
      .catch(function () {
        // The page way: the whole form, fields kept by the server.
        box.removeAttribute('aria-busy');
        var b = box.querySelector('#pick-region');
        if (b && s.form.requestSubmit) s.form.requestSubmit(b); else if (b) b.click();
      });
  });
})();
