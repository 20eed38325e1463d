// The consoles on a phone (issue 14 §5): a co-op manager at 390×844 opens
// the console, records a lot with the household picker (searching by name,
// adding rows), reads the lot's history; a buyer opens the cart and a
// finance officer the invoices. No page scrolls sideways
// (scrollWidth <= innerWidth). Each page is also shot at 1366 px.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, SHOTS, launch, signIn } from './browser.mjs';

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1366, height: 900 };

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

// The page fits its window: nothing to scroll sideways.
async function fits(page, what) {
  const [scroll, inner] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  assert.ok(scroll <= inner, `${what}: the page is ${scroll} px wide in a ${inner} px window`);
}

async function shoot(page, name, what, fullPage = true) {
  await fits(page, what);
  await page.screenshot({ path: SHOTS + name, fullPage });
}

// The options of the picker's first row (the empty choice left out).
function firstRowOptions(page) {
  return page.evaluate(() => [...document.querySelector('select[name=household]').options].slice(1).map((o) => [o.value, o.text]));
}

test('a co-op manager records a lot on a phone with the household picker, and no console page scrolls sideways', async () => {
  const { context, page } = await signIn(browser, 'manager@coop.zhunong.demo', PHONE);
  await page.goto(BASE + '/console');
  await shoot(page, 'phone-01-console.png', 'the console');

  await page.locator('.actions').getByRole('link', { name: '登记采收批次' }).click();
  await page.waitForURL(/\/console\/lots\/new$/);
  await shoot(page, 'phone-02-lot-form.png', 'the lot form');
  const unit = (await page.locator('.with-unit .unit').first().innerText()).trim();
  assert.ok(unit.length > 0, 'the quantity carries its unit');

  // Search by a member's name: every row now offers only that name.
  const [[, label]] = await firstRowOptions(page);
  const [code, name] = label.split(' ');
  await page.fill('input[name=q]', name);
  await page.waitForFunction((n) => {
    const o = [...document.querySelector('select[name=household]').options].slice(1);
    return o.length > 0 && o.every((x) => x.text.includes(n));
  }, name);
  const match = (await firstRowOptions(page)).find(([, text]) => text.startsWith(code));
  assert.ok(match, `the search by name finds ${code}`);
  await page.locator('select[name=household]').first().selectOption(match[0]);
  await page.locator('input[name=share]').first().fill('20');

  // Rows are added in place; the choice and the typed share stay.
  await page.getByRole('button', { name: '再加 5 行' }).click();
  assert.equal(await page.locator('select[name=household]').count(), 10);
  assert.equal(page.url(), BASE + '/console/lots/new', 'no round trip');
  // Another household, found by its code, in a new row.
  await page.fill('input[name=q]', '');
  await page.waitForFunction(() => document.querySelector('select[name=household]').options.length > 2);
  const other = (await firstRowOptions(page)).find(([value]) => value !== match[0]);
  const otherCode = other[1].split(' ')[0];
  await page.fill('input[name=q]', otherCode.toLowerCase());
  await page.waitForFunction((c) => {
    const o = [...document.querySelectorAll('select[name=household]')[7].options].slice(1);
    return o.length === 1 && o[0].text.startsWith(c);
  }, otherCode);
  assert.equal(await page.locator('select[name=household]').first().inputValue(), match[0], 'row 1 keeps its choice');
  await page.locator('select[name=household]').nth(7).selectOption(other[0]);
  await page.locator('input[name=share]').nth(7).fill('10');

  await page.fill('input[name=quantity]', '30');
  await page.fill('input[name=expires_on]', new Date(Date.now() + 365 * 864e5).toISOString().slice(0, 10));
  await shoot(page, 'phone-03-lot-form-filled.png', 'the filled lot form');
  await page.getByRole('button', { name: '保存' }).click();
  await page.waitForURL(/\/console\/lots\/\d+$/);
  const lotUrl = page.url();

  // The lot and its history.
  assert.equal(await page.locator('#quantity').innerText(), `30 ${unit}`);
  const households = await page.locator('table.lots').first().innerText();
  assert.ok(households.includes(code) && households.includes(otherCode), households);
  assert.match(households, new RegExp(`20 ${unit}`));
  assert.match(await page.locator('table.history').innerText(), new RegExp(`30 ${unit}`));
  await shoot(page, 'phone-04-lot-history.png', 'the lot and its history');

  await page.goto(BASE + '/console/orders');
  await shoot(page, 'phone-05-fulfil.png', 'the orders to fulfil');
  await page.goto(BASE + '/console/households');
  // 150 members: the first screen is enough to look at.
  await shoot(page, 'phone-06-members.png', 'the member households', false);
  await context.close();

  // The same pages at desktop width, for the eye.
  const desk = await signIn(browser, 'manager@coop.zhunong.demo', DESKTOP);
  for (const [path, name] of [['/console', 'desktop-01-console.png'], ['/console/lots/new', 'desktop-02-lot-form.png'], [lotUrl, 'desktop-04-lot-history.png']]) {
    await desk.page.goto(path.startsWith('http') ? path : BASE + path);
    await shoot(desk.page, name, path);
  }
  await desk.context.close();
});

test('the cart, the orders, the hub and a report fit a phone', async () => {
  const { context, page } = await signIn(browser, 'buyer@partner.zhunong.demo', PHONE);
  await page.goto(BASE + '/search?q=' + encodeURIComponent('核桃'));
  await page.locator('.card h2').first().click();
  await page.waitForURL(/\/products\/\d+$/);
  await page.fill('#add-to-cart input[name=quantity]', '3');
  await page.click('#add-to-cart button[type=submit]');
  await page.waitForURL(/\/cart\?added=1/);
  await shoot(page, 'phone-07-cart.png', 'the cart');
  await page.goto(BASE + '/orders');
  await shoot(page, 'phone-08-orders.png', 'the orders');
  await page.goto(BASE + '/search');
  await shoot(page, 'phone-09-search.png', 'the search page');
  await context.close();

  const desk = await signIn(browser, 'buyer@partner.zhunong.demo', DESKTOP);
  await desk.page.goto(BASE + '/cart');
  await shoot(desk.page, 'desktop-07-cart.png', 'the cart');
  await desk.page.goto(BASE + '/orders');
  await shoot(desk.page, 'desktop-08-orders.png', 'the orders');
  await desk.context.close();

  for (const [email, path, name] of [
    ['operator@hub.zhunong.demo', '/hub', 'phone-10-hub.png'],
    ['finance@zhunong.demo', '/finance/invoices', 'phone-11-finance.png'],
    ['official@county.zhunong.demo', '/reports/households', 'phone-12-report-households.png'],
  ]) {
    const s = await signIn(browser, email, PHONE);
    await s.page.goto(BASE + path);
    await shoot(s.page, name, path);
    await s.context.close();
  }
});
