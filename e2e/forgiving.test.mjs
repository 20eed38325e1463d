// Browser test of a checkout that forgives: a buyer types the delivery
// address, then changes the region — with JavaScript (the picker updates
// in place) on a desktop and on a phone, and without JavaScript (the form
// comes back with every field kept) — and the address is still there.
// The partner city's buyer is used so that this file's cart never meets
// the agency buyer's of buying.test.mjs, which runs alongside.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, SHOTS, launch } from './browser.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const ADDRESS = '解放碑街道民族路188号 重庆市机关第一食堂';

async function buyer(viewport, javaScriptEnabled) {
  const context = await browser.newContext({ viewport, locale: 'zh-CN', javaScriptEnabled });
  const page = await context.newPage();
  await page.goto(BASE + '/login');
  await page.fill('input[name=email]', 'buyer@partner.zhunong.demo');
  await page.fill('input[name=password]', 'zhunong-demo');
  await page.click('form[action="/login"] button[type=submit]');
  await page.waitForURL(BASE + '/');
  // Two boxes of tea into the cart, from the product page.
  await page.goto(BASE + '/search?q=' + encodeURIComponent('绿茶'));
  await page.getByRole('heading', { name: '建始富硒绿茶' }).click();
  await page.waitForURL(/\/products\/\d+$/);
  await page.fill('#add-to-cart input[name=quantity]', '2');
  await page.click('#add-to-cart button[type=submit]');
  await page.waitForURL(/\/cart\?added=1/);
  await page.goto(BASE + '/checkout');
  return { context, page };
}

// The option of the `level`-th list (0 = province) at `index` among its
// real choices (the "choose" line is not one).
async function optionOf(page, level, index = 0) {
  const options = page.locator('#picker select').nth(level).locator('option:not([disabled])');
  return options.nth(index).getAttribute('value');
}

async function noSidewaysScroll(page) {
  const [scroll, inner] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  assert.ok(scroll <= inner, `no horizontal scroll: ${scroll} > ${inner}`);
}

for (const [name, viewport] of [['desktop', { width: 1366, height: 900 }], ['phone', { width: 390, height: 844 }]]) {
  test(`with JavaScript on a ${name} the picker updates in place and the typed address stays`, async () => {
    const { context, page } = await buyer(viewport, true);
    // The picker starts at the buyer's own region (重庆市), not the country.
    assert.match(await page.locator('#region-label').innerText(), /重庆/);
    await page.fill('input[name=address]', ADDRESS);
    await page.fill('input[name=phone]', '023-63801234');
    const url = page.url();
    // Down two levels, each list filled in place by the script.
    for (const level of [1, 2]) {
      const code = await optionOf(page, level);
      await page.locator('#picker select').nth(level).selectOption(code);
      await page.locator(`#picker input[name=region_code][value="${code}"]`).waitFor({ state: 'attached' });
    }
    assert.equal(page.url(), url, 'no page load');
    assert.equal(await page.inputValue('input[name=address]'), ADDRESS);
    assert.equal(await page.inputValue('input[name=phone]'), '023-63801234');
    assert.equal(await page.locator('#region-needed').count(), 0, 'a county is precise enough');
    assert.ok(await page.locator('#pick-region').isHidden(), 'the button is for pages without the script');
    await noSidewaysScroll(page);
    await page.screenshot({ path: SHOTS + `40-checkout-region-kept-${name}.png`, fullPage: true });

    // Placed: the confirmation says the number, the amount and what next.
    await page.click('#place');
    await page.waitForURL(/\/orders\/\d+\/placed$/);
    assert.match(await page.locator('#placed-number').innerText(), /ZN\d{8}-[0-9A-F]{8}/);
    assert.match(await page.locator('#placed-steps').innerText(), /对公转账/);
    await noSidewaysScroll(page);
    await page.screenshot({ path: SHOTS + `41-order-placed-${name}.png`, fullPage: true });

    // Cancelling asks why and for a tick; the history then says why.
    await page.getByRole('link', { name: '查看订单' }).click();
    await page.locator('#cancel summary').click();
    await page.fill('#cancel textarea[name=reason]', '预算调整，改下月采购');
    await page.locator('#cancel input[name=confirm]').check();
    await page.screenshot({ path: SHOTS + `43-order-cancel-${name}.png`, fullPage: true });
    await page.locator('#cancel button[type=submit]').click();
    await page.waitForURL(/\/orders\/\d+\?done=1$/);
    assert.equal(await page.locator('#order-status').innerText(), '已取消');
    assert.match(await page.locator('ol.history').innerText(), /原因：预算调整，改下月采购/);
    await noSidewaysScroll(page);
    await context.close();
  });
}

test('without JavaScript the region button brings the form back with the address kept', async () => {
  const { context, page } = await buyer({ width: 1366, height: 900 }, false);
  await page.fill('input[name=address]', ADDRESS);
  await page.fill('input[name=phone]', '023-63801234');
  await page.fill('input[name=note]', '请走后门');
  const code = await optionOf(page, 1);
  await page.locator('#picker select').nth(1).selectOption(code);
  await page.click('#pick-region');
  await page.locator(`#picker input[name=region_code][value="${code}"]`).waitFor({ state: 'attached' });
  assert.equal(await page.inputValue('input[name=address]'), ADDRESS);
  assert.equal(await page.inputValue('input[name=phone]'), '023-63801234');
  assert.equal(await page.inputValue('input[name=note]'), '请走后门');
  await page.screenshot({ path: SHOTS + '42-checkout-region-kept-no-js.png', fullPage: true });

  // More than is on sale: the cart says what is left and offers to take it.
  await page.goto(BASE + '/cart');
  const line = page.locator('tr[id^=line-]').first();
  await line.locator('form.qty input[name=quantity]').fill('99999');
  await line.getByRole('button', { name: '更新' }).click();
  await page.waitForURL(/\/cart\?short=/);
  assert.match(await page.locator('#cart-short').innerText(), /建始富硒绿茶 当前仅剩 \d+ 盒，数量未改为 99999 盒/);
  assert.equal(await line.locator('form.qty input[name=quantity]').inputValue(), '2', 'the line is as it was');
  await page.screenshot({ path: SHOTS + '44-cart-short-no-js.png', fullPage: true });
  // One press takes what is left.
  const left = (await page.locator('#cart-short').innerText()).match(/当前仅剩 (\d+) 盒/)[1];
  await page.locator('#cart-short').getByRole('button', { name: `改为 ${left} 盒` }).click();
  await page.waitForURL(BASE + '/cart');
  assert.equal(await line.locator('form.qty input[name=quantity]').inputValue(), left);
  await context.close();
});
