// Browser test of the reports (issue 13): the official of 伽师县 opens the
// reports, sees the county's sales to registered poor households and who
// is at risk on the first screen, drills from the county to a township
// and a village, opens the red and orange households, and downloads the
// households as an Excel workbook; the 重庆 partner city's buyer sees its
// pledge progress split into direct purchase and helped sales. Desktop
// and a 390 px phone; screenshots under target/e2e/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, SHOTS, launch, signIn } from './browser.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const PHONE = { width: 390, height: 844 };

// No visible text holds a 12-digit region code (links may).
async function assertNoRegionCode(page) {
  const text = await page.locator('main').innerText();
  assert.doesNotMatch(text, /(^|[^0-9A-Za-z])\d{12}([^0-9A-Za-z]|$)/, 'no region code is shown');
}

test('an official drills from the county to a village, opens the households at risk and downloads them', async () => {
  const { context, page } = await signIn(browser, 'official@county.zhunong.demo');
  await page.click('header nav a[href="/reports"]');
  await page.waitForURL(/\/reports\/regions/);
  await assert.doesNotReject(page.locator('h1', { hasText: '伽师县' }).waitFor());
  // The first screen answers both questions: what reached the registered
  // poor households (and its share), and who is at risk.
  const kpi = await page.locator('#kpi-poor').innerText();
  assert.match(kpi, /^¥[\d,]+\.\d\d$/);
  assert.ok(await page.locator('svg[role=img]').count() >= 3, 'charts drawn');
  assert.ok(await page.locator('.watch .colours li').count() === 4, 'households by colour');
  await assertNoRegionCode(page);
  await page.screenshot({ path: SHOTS + 'reports-county-desktop.png', fullPage: true });

  // Drill: a township that sold something, then one of its villages.
  const township = page.locator('#regions tbody tr').filter({ hasNotText: '¥0.00' }).first().locator('th a');
  const townshipName = await township.innerText();
  await township.click();
  await page.locator('h1', { hasText: townshipName }).waitFor();
  assert.ok(await page.locator('nav.crumbs a', { hasText: '伽师县' }).count() === 1, 'the way back to the county');
  await assertNoRegionCode(page);
  await page.screenshot({ path: SHOTS + 'reports-township-desktop.png', fullPage: true });
  const village = page.locator('#regions tbody tr').filter({ hasNotText: '¥0.00' }).first().locator('th a');
  await village.click();
  await page.waitForURL(/\/reports\/households\?/);
  assert.ok(await page.locator('#households tbody tr').count() > 0, 'the village\'s households');
  await assertNoRegionCode(page);
  await page.screenshot({ path: SHOTS + 'reports-village-households.png', fullPage: true });

  // The households as an Excel workbook.
  // (The link starts a download named for the report; its bytes are
  // fetched with the page's own session, as the browser would.)
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('a.download-xlsx')]);
  assert.match(download.suggestedFilename(), /^households-.*\.xlsx$/);
  const href = await page.getAttribute('a.download-xlsx', 'href');
  const file = await page.request.get(BASE + href);
  assert.equal(file.status(), 200);
  assert.equal(file.headers()['content-type'], 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
  const bytes = await file.body();
  assert.equal(bytes.subarray(0, 2).toString(), 'PK', 'an XLSX (zip) file');
  assert.ok(bytes.length > 2000, 'a workbook with rows');

  // The red and orange households of the county.
  await page.goto(BASE + '/reports/regions');
  await page.click('.watch a.button');
  await page.waitForURL(/\/monitoring/);
  assert.ok(await page.locator('text=红色').count() > 0);
  await page.screenshot({ path: SHOTS + 'reports-at-risk.png', fullPage: true });
  await context.close();

  // The same first screen on a phone.
  const phone = await signIn(browser, 'official@county.zhunong.demo', PHONE);
  await phone.page.goto(BASE + '/reports/regions');
  const overflow = await phone.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `the page fits the phone (overflows by ${overflow} px)`);
  await phone.page.screenshot({ path: SHOTS + 'reports-county-phone.png', fullPage: true });
  await phone.context.close();
});

test('a partner city sees its pledge progress split into direct purchase and helped sales', async () => {
  for (const [viewport, name] of [[undefined, 'desktop'], [PHONE, 'phone']]) {
    const { context, page } = await signIn(browser, 'buyer@partner.zhunong.demo', viewport);
    await page.goto(BASE + '/dashboard');
    await page.locator('h1').waitFor();
    const text = await page.locator('main').innerText();
    for (const words of ['对口帮扶完成进度', '直接采购', '带动销售', '完成率']) assert.ok(text.includes(words), words);
    assert.ok(await page.locator('svg[role=img]').count() >= 1);
    await assertNoRegionCode(page);
    await page.screenshot({ path: SHOTS + `pledge-${name}.png`, fullPage: true });
    await context.close();
  }
});
