// Zhunong — progressive enhancement only: every page works without this.
// A form submits once: on a slow link a second tap must not send it again.
document.addEventListener('submit', function (event) {
  var form = event.target;
  if (form.dataset.sent) { event.preventDefault(); return; }
  form.dataset.sent = '1';
  var buttons = form.querySelectorAll('button[type=submit]');
  for (var i = 0; i < buttons.length; i++) buttons[i].setAttribute('aria-busy', 'true');
});
