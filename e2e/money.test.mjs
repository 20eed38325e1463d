// Browser test of the money shown plainly (issue 14 §6, §4): a paid
// order's table of whom the money reached, and its printable invoice, at
// desktop and phone sizes, with screenshots under target/e2e/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, SHOTS, launch, signIn } from './browser.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function api(path, body, token) {
  const res = await fetch(BASE + path, {
    method: body ? 'POST' : 'GET',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: 'Bearer ' + token } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await res.json();
  assert.ok(res.ok, path + ': ' + JSON.stringify(json));
  return json;
}

const login = async (email) => (await api('/api/v1/auth/login', { email, password: 'zhunong-demo' })).token;

test('a paid order shows whom the money reached, and its invoice prints the place, the dates and a seal area', async () => {
  // An invoice order of 伽师瓜 by the agency, paid by bank transfer.
  const buyerToken = await login('buyer@agency.zhunong.demo');
  const found = await api('/api/v1/products?q=' + encodeURIComponent('伽师瓜'));
  const product = (found.items ?? found.products ?? found).find((p) => p.name === '伽师瓜');
  const order = await api('/api/v1/orders', {
    lines: [{ product_id: product.id, quantity: 3 }],
    delivery: { region_code: '653101000000', address: '喀什市人民东路1号 喀什地区第一中学食堂', contact_name: '王老师', phone: '0998-2821234' },
    payment_method: 'invoice',
  }, buyerToken);
  await api(`/api/v1/orders/${order.id}/payments/invoice`, { reference: 'ICBC-E2E-MONEY' }, await login('finance@zhunong.demo'));

  for (const [name, viewport] of [['desktop', { width: 1366, height: 900 }], ['phone', { width: 390, height: 844 }]]) {
    const { context, page } = await signIn(browser, 'buyer@agency.zhunong.demo', viewport);
    await page.goto(`${BASE}/orders/${order.id}`);
    const table = page.locator('#reach-table');
    await table.waitFor();
    assert.ok(Number(await page.locator('#reach-households').innerText()) > 0, 'households credited');
    assert.match(await page.locator('#reach-gross').innerText(), /¥204\.00/);
    assert.match(await table.innerText(), /伽师县/);
    // Money is right-aligned, and the page does not scroll sideways.
    assert.equal(await page.locator('#reach-gross').evaluate((e) => getComputedStyle(e).textAlign), 'right');
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no sideways scroll');
    await page.locator('#reach').scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SHOTS}40-order-reach-${name}.png`, fullPage: true });

    await page.goto(`${BASE}/orders/${order.id}/invoice`);
    const text = await page.locator('body').innerText();
    assert.match(text, /喀什地区 › 喀什市/);
    assert.doesNotMatch(text, /\d{12}/, 'no region code');
    assert.doesNotMatch(text, /ZHUNONG_/, 'no setting names for buyers');
    assert.match(await page.locator('#invoice-issued').innerText(), /\d{4}年\d{1,2}月\d{1,2}日/);
    assert.match(await page.locator('#invoice-due').innerText(), /已于/);
    await page.locator('#seals').waitFor();
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no sideways scroll');
    await page.screenshot({ path: `${SHOTS}41-invoice-${name}.png`, fullPage: true });
    await page.emulateMedia({ media: 'print' });
    assert.equal(await page.locator('.noprint').first().evaluate((e) => getComputedStyle(e).display), 'none', 'print hides the links');
    await page.screenshot({ path: `${SHOTS}42-invoice-print-${name}.png`, fullPage: true });
    // The product page's 带动 block: villages and statuses, no household.
    await page.goto(`${BASE}/products/${product.id}`);
    const supports = await page.locator('#supports').innerText();
    assert.match(supports, /带动 \d+ 户农户增收/);
    assert.match(supports, /建档立卡贫困户 \d+ 户/);
    assert.doesNotMatch(supports, /HH-[0-9A-Z]{8}/, 'no household code');
    await page.locator('#supports').scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SHOTS}43-product-supports-${name}.png` });
    await context.close();
  }
});
