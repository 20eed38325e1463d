// Browser test (issue 14 §3): a cooperative manager uploads a photo of a
// product on the desktop console, and the storefront's card and the
// product page show it — on desktop and on a 390 px phone. The picture is
// drawn here (a PNG made in code), no fixture file. Screenshots go to
// ../target/e2e/ — look at them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { BASE, SHOTS, launch, signIn } from './browser.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

function crc32(bytes) {
  let crc = 0xffffffff;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

// A 1200 × 900 picture of a melon field: sky, hills, a striped melon.
function melonPng(w = 1200, h = 900) {
  const raw = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y++) {
    const row = y * (w * 3 + 1);
    raw[row] = 0;
    for (let x = 0; x < w; x++) {
      let rgb;
      const dx = x - w / 2, dy = y - h * 0.62;
      if ((dx * dx) / (300 * 300) + (dy * dy) / (200 * 200) < 1) {
        rgb = Math.floor((x + y / 3) / 40) % 2 ? [232, 196, 80] : [120, 160, 60];
      } else if (y > h * 0.5 + 40 * Math.sin(x / 90)) {
        rgb = [80 + (y % 7), 130 + (x % 11), 60];
      } else {
        rgb = [150 + Math.floor(80 * y / h), 200, 240];
      }
      raw.set(rgb, row + 1 + x * 3);
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

// Waits until every <img> matching `selector` has loaded a picture.
async function loaded(page, selector) {
  await page.waitForFunction((s) => [...document.querySelectorAll(s)].every((i) => i.complete && i.naturalWidth > 0), selector);
}

test('a cooperative manager uploads a photo and the card and the product page show it, on desktop and phone', async () => {
  const { context, page } = await signIn(browser, 'manager@coop.zhunong.demo', { width: 1366, height: 900 });
  await page.goto(BASE + '/console');
  const edit = page.locator('a[href$="/edit"]').first();
  const href = await edit.getAttribute('href');
  const id = href.match(/\/console\/products\/(\d+)\/edit/)[1];
  await edit.click();
  await page.locator('#photos').waitFor();
  await page.setInputFiles('#photo-upload input[type=file]', { name: 'melon.png', mimeType: 'image/png', buffer: melonPng() });
  await page.locator('#photo-upload button[type=submit]').click();
  await page.locator('#photos .notice', { hasText: '照片已上传' }).waitFor();
  await loaded(page, '#photos .photo-list img');
  await page.locator('#photos').screenshot({ path: SHOTS + '40-photo-uploaded.png' });
  await context.close();

  for (const [name, viewport] of [['desktop', { width: 1366, height: 900 }], ['phone', { width: 390, height: 844 }]]) {
    const visitor = await browser.newContext({ viewport, locale: 'zh-CN' });
    const p = await visitor.newPage();
    await p.goto(`${BASE}/products/${id}`);
    const main = p.locator('.gallery-main img');
    assert.match(await main.getAttribute('src'), new RegExp(`^/photos/${id}/\\d+-[0-9a-f]{16}-1200\\.webp$`));
    assert.equal(await main.getAttribute('loading'), 'lazy');
    assert.match(await main.getAttribute('srcset'), /-160\.webp 160w, .*-480\.webp 480w, .*-1200\.webp 1200w/);
    await main.scrollIntoViewIfNeeded();
    await loaded(p, '.gallery-main img');
    assert.equal(await p.locator('.gallery-main .illustration-mark').count(), 0, 'a photo is not marked as an illustration');
    assert.ok(await p.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no sideways scrolling');
    await p.screenshot({ path: `${SHOTS}41-product-photo-${name}.png`, fullPage: true });

    // The storefront card of the product: its cooperative's page lists it.
    await p.locator('.facts a[href^="/cooperatives/"]').click();
    const card = p.locator(`a.card-link[href="/products/${id}"] img`);
    await card.scrollIntoViewIfNeeded();
    assert.match(await card.getAttribute('src'), /-480\.webp$/);
    assert.equal(await card.getAttribute('width'), '480');
    assert.equal(await card.getAttribute('height'), '360');
    await p.waitForFunction((s) => { const i = document.querySelector(s); return i && i.complete && i.naturalWidth > 0; },
      `a.card-link[href="/products/${id}"] img`);
    assert.ok(await p.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no sideways scrolling');
    await p.screenshot({ path: `${SHOTS}42-cards-photo-${name}.png`, fullPage: false });
    await visitor.close();
  }
});
