// Browser test of the chain's pages (issue 12): a partner city's order is
// paid; 伽师县's operator, on a phone, scans its shipment dispatched at the
// village point and received at the township centre (typing the code and
// Enter, as a handheld scanner does); the buyer's order page shows the
// goods at the township centre; then a scan made while the phone is
// offline waits on the device and is sent when the link returns.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, SHOTS, launch, signIn } from './browser.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function api(method, path, token, body, headers = {}) {
  const res = await fetch(BASE + path, {
    method,
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: 'Bearer ' + token } : {}), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

async function token(email) {
  const res = await api('POST', '/api/v1/auth/login', null, { email, password: 'zhunong-demo' });
  assert.equal(res.status, 200, JSON.stringify(res.json));
  return res.json.token;
}

function signedIn(email, viewport) {
  return signIn(browser, email, viewport);
}

/// The first leg not yet done of the order's only line, as the tracking shows it.
async function nextLeg(buyer, order) {
  const t = await api('GET', `/api/v1/orders/${order}/tracking`, buyer);
  assert.equal(t.status, 200);
  return t.json.lines[0].legs.find((l) => l.status !== 'received' && l.status !== 'delivered');
}

async function scan(page, node, event, code) {
  if (!page.url().endsWith(`/hub/nodes/${node}/scan`)) await page.goto(`${BASE}/hub/nodes/${node}/scan`);
  await page.locator(`label.event:has(input[value=${event}])`).click();
  await page.fill('#scan-code', code);
  await page.press('#scan-code', 'Enter');
}

test('an operator scans shipments on a phone, online and offline, and the buyer sees the goods move', async () => {
  // A paid order of 伽师瓜 to 喀什市, by the partner city's buyer.
  const buyer = await token('buyer@partner.zhunong.demo');
  const products = await api('GET', '/api/v1/products?q=' + encodeURIComponent('伽师瓜'), buyer);
  const melon = products.json.items.find((p) => p.name === '伽师瓜');
  const placed = await api('POST', '/api/v1/orders', buyer, {
    lines: [{ product_id: melon.id, quantity: 2 }],
    delivery: { region_code: '653101000000', address: '人民东路1号', contact_name: '王老师', phone: '0998-2821234' },
    payment_method: 'invoice',
  });
  assert.equal(placed.status, 201, JSON.stringify(placed.json));
  const order = placed.json.id;
  const finance = await token('finance@zhunong.demo');
  const paid = await api('POST', `/api/v1/orders/${order}/payments/invoice`, finance, { reference: 'E2E-' + order });
  assert.equal(paid.status, 200, JSON.stringify(paid.json));

  const first = await nextLeg(buyer, order);
  assert.equal(first.status, 'planned');
  const village = first.from.node_id, township = first.to.node_id, code = first.shipment_code;

  // The operator, on a phone: the node console, then the scan page.
  const { context, page: op } = await signedIn('operator@hub.zhunong.demo', { width: 390, height: 844 });
  await op.goto(`${BASE}/hub/nodes/${village}`);
  await op.locator(`tr[data-code="${code}"]`).waitFor();
  await op.screenshot({ path: SHOTS + '20-node-console-phone.png', fullPage: true });

  await scan(op, village, 'dispatched', code);
  await op.locator('#scan-result.ok').waitFor();
  assert.match(await op.locator('#scan-result').innerText(), new RegExp(`已登记发运：${code}`));
  await op.screenshot({ path: SHOTS + '21-scan-dispatched-phone.png', fullPage: true });

  await scan(op, township, 'received', code);
  await op.locator('#scan-result.ok').waitFor();
  assert.match(await op.locator('#scan-result').innerText(), new RegExp(`已登记到货：${code}`));
  // The same code again is refused, with the reason in words.
  await scan(op, township, 'received', code);
  await op.locator('#scan-result.bad').waitFor();
  assert.match(await op.locator('#scan-result').innerText(), /当前状态为“已到站”/);
  await op.screenshot({ path: SHOTS + '22-scan-refused-phone.png', fullPage: true });

  // The buyer's order page: the goods are at the township centre.
  const { page: buyerPage } = await signedIn('buyer@partner.zhunong.demo', { width: 1366, height: 900 });
  await buyerPage.goto(`${BASE}/orders/${order}`);
  const tracking = await buyerPage.locator('#tracking').innerText();
  assert.match(tracking, /在 \S*分拣中心/);
  assert.match(tracking, /到货 \d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}/);
  assert.equal(await buyerPage.locator('#tracking .step.here .lvl').first().innerText(), '乡');
  await buyerPage.screenshot({ path: SHOTS + '23-order-tracking-desktop.png', fullPage: true });

  // Offline: the next leg's shipment leaves the township centre while the
  // phone has no link. The scan waits on the device, then goes.
  const second = await nextLeg(buyer, order);
  const code2 = second.shipment_code;
  assert.equal(second.from.node_id, township);
  await context.setOffline(true);
  await scan(op, township, 'dispatched', code2);
  await op.locator('#scan-result.wait').waitFor();
  await op.locator(`#scan-waiting li[data-code="${code2}"]`).waitFor();
  assert.equal(await op.locator('#scan-offline').isVisible(), true);
  // The service worker keeps the page: it opens again without a link,
  // with the waiting scan still listed (it lives in IndexedDB).
  assert.equal(await op.evaluate(async () => !!(await navigator.serviceWorker.ready).active), true);
  await op.reload();
  await op.locator(`#scan-waiting li[data-code="${code2}"]`).waitFor();
  await op.screenshot({ path: SHOTS + '24-scan-queued-offline-phone.png', fullPage: true });
  const stillClosed = await api('GET', `/api/v1/shipments/${code2}`, await token('admin@zhunong.demo'));
  assert.ok(['open', 'closed'].includes(stillClosed.json.status), 'nothing reached the server while offline');

  await context.setOffline(false);
  await op.locator('#scan-result.ok').waitFor({ timeout: 30000 });
  await op.locator('#scan-queue').waitFor({ state: 'hidden' });
  assert.match(await op.locator('#scan-result').innerText(), new RegExp(`已登记发运：${code2}`));
  const sent = await api('GET', `/api/v1/shipments/${code2}`, await token('admin@zhunong.demo'));
  assert.equal(sent.json.status, 'dispatched');

  // The buyer's page moves on: on the way to the county centre.
  await buyerPage.reload();
  assert.match(await buyerPage.locator('#tracking').innerText(), /在途：/);

  // The node console and label at desktop width; the county centre has
  // the demo's shipments to receive and to send.
  await op.setViewportSize({ width: 1366, height: 900 });
  await op.goto(`${BASE}/hub`);
  await op.getByRole('link', { name: '伽师县配送中心' }).click();
  await op.locator('#capacity').waitFor();
  await op.screenshot({ path: SHOTS + '27-county-centre-desktop.png', fullPage: true });
  await op.goto(`${BASE}/hub/nodes/${township}`);
  await op.screenshot({ path: SHOTS + '25-node-console-desktop.png', fullPage: true });
  await op.goto(`${BASE}/hub/shipments/${code2}/label`);
  assert.equal(await op.locator('main.label svg').count(), 2);
  await op.screenshot({ path: SHOTS + '26-label.png', fullPage: true });
});
