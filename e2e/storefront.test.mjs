// Browser tests: a visitor searches, filters and opens a product; a
// cooperative manager signs in. Real Chromium (Debian's), real server
// (started by ../scripts/e2e with the demo data). Screenshots go to
// ../target/e2e/ — look at them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, SHOTS, launch } from './browser.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function newPage() {
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 }, locale: 'zh-CN' });
  return context.newPage();
}

test('a visitor searches 红枣, narrows by county, and opens the product with its origin and households', async () => {
  const page = await newPage();
  await page.goto(BASE + '/');
  await page.fill('input[name=q]', '红枣');
  await page.press('input[name=q]', 'Enter');
  await page.waitForURL(/\/search\?q=/);
  await page.getByRole('heading', { name: '泽普骏枣' }).waitFor();
  await page.screenshot({ path: SHOTS + '01-search-hongzao.png', fullPage: true });

  // A facet swaps the results in place (no full reload) and marks itself.
  await page.evaluate(() => { window.__sameDocument = true; });
  await page.locator('a.facet', { hasText: '泽普县' }).click();
  await page.waitForURL(/county=653124000000/);
  await page.locator('a.facet.on', { hasText: '泽普县' }).waitFor();
  assert.equal(await page.evaluate(() => window.__sameDocument), true, 'the facet click did not reload the page');
  const count = await page.locator('.results .card').count();
  assert.ok(count >= 1, 'results remain after the facet');
  await page.screenshot({ path: SHOTS + '02-search-facet.png', fullPage: true });

  await page.getByRole('heading', { name: '泽普骏枣' }).click();
  await page.waitForURL(/\/products\/\d+$/);
  const crumbs = await page.locator('nav.crumbs li').allInnerTexts();
  assert.equal(crumbs.length, 5, 'province to village');
  assert.match(crumbs[0], /新疆维吾尔自治区/);
  assert.equal(crumbs[2], '泽普县', 'the county by its name');
  assert.ok(!crumbs.some((c) => /\d{12}/.test(c)), `no region codes in the breadcrumb: ${crumbs}`);
  assert.match(await page.locator('#supports').innerText(), /带动 \d+ 户农户增收/);
  await page.screenshot({ path: SHOTS + '03-product.png', fullPage: true });
});

test('the search page works without JavaScript', async () => {
  const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  await page.goto(BASE + '/search?q=' + encodeURIComponent('牦牛'));
  await page.locator('a.facet', { hasText: '冷藏' }).click();
  await page.waitForURL(/storage=chilled/);
  await page.getByRole('heading', { name: '类乌齐牦牛酸奶' }).waitFor();
  await page.screenshot({ path: SHOTS + '04-search-no-js-mobile.png', fullPage: true });
  await context.close();
});

test('a cooperative manager signs in and records a harvest lot with its households', async () => {
  const page = await newPage();
  await page.goto(BASE + '/login');
  await page.fill('input[name=email]', 'manager@coop.zhunong.demo');
  await page.fill('input[name=password]', 'zhunong-demo');
  await page.click('form[action="/login"] button[type=submit]');
  await page.waitForURL(BASE + '/');
  await page.getByText('合作社经理 阿卜杜拉').waitFor();
  await page.screenshot({ path: SHOTS + '05-signed-in.png' });

  await page.getByRole('link', { name: '库存管理' }).click();
  await page.getByRole('link', { name: '登记采收批次' }).click();
  await page.fill('input[name=quantity]', '30');
  // A lot may expire at most ten years after its harvest (today, the form's default).
  await page.fill('input[name=expires_on]', new Date(Date.now() + 365 * 864e5).toISOString().slice(0, 10));
  const first = page.locator('select[name=household]').first();
  const value = await first.locator('option').nth(1).getAttribute('value');
  await first.selectOption(value);
  await page.locator('input[name=share]').first().fill('30');
  await page.screenshot({ path: SHOTS + '06-record-lot.png', fullPage: true });
  await page.getByRole('button', { name: '保存' }).click();
  await page.waitForURL(/\/console\/lots\/\d+$/);
  assert.match(await page.locator('#quantity').innerText(), /^30 /);
  // The movement kind is a word (入库), not the code `receipt`.
  assert.match(await page.locator('table.history').innerText(), /入库/);
  await page.screenshot({ path: SHOTS + '07-lot.png', fullPage: true });
});
