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
