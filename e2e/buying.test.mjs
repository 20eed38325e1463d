// Browser test of the buying flow: the agency buyer searches, fills the
// cart above the approval limit, picks the delivery region level by level
// and checks out by invoice; the approver approves; finance confirms the
// transfer; the buyer's order shows paid and the households credited.
// Each person has their own browser context (own session).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, SHOTS, launch, signIn } from './browser.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function signedIn(email, viewport) {
  return (await signIn(browser, email, viewport)).page;
}

test('an agency buys in bulk: cart, checkout by invoice, approval, payment, households credited', async () => {
  // The buyer, on a phone-sized screen.
  const buyer = await signedIn('buyer@agency.zhunong.demo', { width: 390, height: 844 });
  await buyer.fill('input[name=q]', '绿茶');
  await buyer.press('input[name=q]', 'Enter');
  await buyer.getByRole('heading', { name: '建始富硒绿茶' }).click();
  await buyer.waitForURL(/\/products\/\d+$/);
  await buyer.fill('#add-to-cart input[name=quantity]', '200');
  await buyer.click('#add-to-cart button[type=submit]');
  await buyer.waitForURL(/\/cart\?added=1/);
  // 200 boxes reach the 150-yuan tier: 30,000 yuan, above the 20,000 limit.
  assert.match(await buyer.locator('#cart-total').innerText(), /30,000\.00/);
  await buyer.screenshot({ path: SHOTS + '10-cart.png', fullPage: true });

  await buyer.getByRole('link', { name: '去结算' }).click();
  await buyer.waitForURL(/\/checkout/);
  // The picker starts at the agency's own region (喀什市), and the notice
  // says this order is above the approval limit.
  assert.match(await buyer.locator('#region-label').innerText(), /新疆维吾尔自治区 › 喀什地区 › 喀什市/);
  assert.match(await buyer.locator('#approval-notice').innerText(), /审批限额 ¥20,000\.00.*超过限额/);
  await buyer.fill('input[name=address]', '人民东路1号 喀什地区第一中学食堂');
  await buyer.fill('input[name=phone]', '0998-2821234');
  await buyer.screenshot({ path: SHOTS + '11-checkout.png', fullPage: true });
  await buyer.click('#place');
  await buyer.waitForURL(/\/orders\/\d+\/placed$/);
  const orderUrl = buyer.url().replace(/\/placed$/, '');
  const number = (await buyer.locator('#placed-number').innerText()).match(/ZN\d{8}-[0-9A-F]{8}/)[0];
  assert.match(await buyer.locator('#placed-steps').innerText(), /需审批人批准/);
  await buyer.goto(orderUrl);
  assert.equal(await buyer.locator('#order-status').innerText(), '待审批');

  // The approver approves from the queue.
  const approver = await signedIn('approver@agency.zhunong.demo');
  await approver.goto(BASE + '/approvals');
  const row = approver.locator('tr', { hasText: number });
  await row.locator('input[name=confirm]').check();
  await row.getByRole('button', { name: '批准' }).click();
  await approver.waitForURL(/\/approvals\?done=1/);
  await approver.getByText('没有待审批的订单').waitFor();

  // Finance confirms the bank transfer with its reference.
  const finance = await signedIn('finance@zhunong.demo');
  await finance.goto(BASE + '/finance/invoices');
  const invoice = finance.locator('tr', { hasText: number });
  await invoice.locator('input[name=reference]').fill('ICBC-20261122-0042');
  await invoice.locator('input[name=confirm]').check();
  await finance.screenshot({ path: SHOTS + '12-finance.png', fullPage: true });
  await invoice.getByRole('button', { name: '确认收款' }).click();
  await finance.waitForURL(/\/finance\/invoices\?done=/);

  // The buyer sees it paid, and whom it reached.
  await buyer.goto(orderUrl);
  assert.equal(await buyer.locator('#order-status').innerText(), '已付款');
  const households = Number(await buyer.locator('#reach-households').innerText());
  assert.ok(households > 0, 'the ledger credited households');
  assert.match(await buyer.locator('#reach').innerText(), /建始县/);
  await buyer.screenshot({ path: SHOTS + '13-order-paid.png', fullPage: true });

  // The printable invoice carries the amount in capital numerals.
  await buyer.goto(orderUrl + '/invoice');
  assert.match(await buyer.locator('body').innerText(), /人民币叁万元整/);
  await buyer.screenshot({ path: SHOTS + '14-invoice.png', fullPage: true });
});
