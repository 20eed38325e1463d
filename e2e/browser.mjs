// Shared by the browser tests: where the server and the screenshots are,
// and Debian's Chromium launched the way STACK-NOTES prescribes.
import { mkdirSync } from 'node:fs';
import { chromium } from 'playwright-core';

export const BASE = process.env.BASE_URL ?? 'http://127.0.0.1:8080';
// scripts/e2e passes the screenshots' folder under cargo's target folder.
export const SHOTS = process.env.E2E_SHOTS ?? new URL('../target/e2e/', import.meta.url).pathname;
mkdirSync(SHOTS, { recursive: true });

export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic',
      '--no-first-run', '--disable-component-update', '--disable-sync'],
  });
}

// A demo user signed in through the login page, in a browser context of
// their own (own session cookie), at `viewport`.
export async function signIn(browser, email, viewport = { width: 1200, height: 900 }) {
  const context = await browser.newContext({ viewport, locale: 'zh-CN' });
  const page = await context.newPage();
  await page.goto(BASE + '/login');
  await page.fill('input[name=email]', email);
  await page.fill('input[name=password]', 'zhunong-demo');
  await page.click('form[action="/login"] button[type=submit]');
  await page.waitForURL(BASE + '/');
  return { context, page };
}
