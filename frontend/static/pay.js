// Card, Alipay and WeChat Pay through Stripe's Payment Element. Loaded only
// on the payment page, after Stripe.js; the page says what to do without it.
(function () {
  var box = document.getElementById('pay');
  if (!box || !window.Stripe) return;
  var stripe = window.Stripe(box.dataset.key);
  var elements = stripe.elements({ clientSecret: box.dataset.secret, locale: document.documentElement.lang === 'en' ? 'en' : 'zh' });
  elements.create('payment').mount('#pay-element');
  document.getElementById('pay-loading').hidden = true;
  var form = document.getElementById('pay-form');
  form.hidden = false;
  form.addEventListener('submit', function (e) {
    e.preventDefault();
    form.querySelector('button').disabled = true;
    stripe.confirmPayment({ elements: elements, confirmParams: { return_url: box.dataset.returnUrl } }).then(function (r) {
      if (r.error) {
        document.getElementById('pay-error').textContent = r.error.message;
        form.querySelector('button').disabled = false;
        delete form.dataset.sent;
      }
    });
  });
})();
