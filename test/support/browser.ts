/**
 * One browser for the tests that look at pages: Debian's chromium driven by playwright-core.
 *
 *   await launchBrowser()     a headless chromium; fails (does not skip) when /usr/bin/chromium is
 *                             missing, since CI installs it (apt-get install -y chromium).
 *   screenshotPath(name)      where a test saves a screenshot for a person to look at:
 *                             dist/screenshots/<name>; the folder is created. The test reporter
 *                             names this folder in its summary.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const BROWSER_FLAGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];
/** dist/test/support/browser.js -> dist/screenshots/ */
export const SCREENSHOTS_DIR = fileURLToPath(new URL('../../screenshots/', import.meta.url));

export async function launchBrowser(): Promise<Browser> {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium)`);
  return chromium.launch({ executablePath: CHROMIUM, args: [...BROWSER_FLAGS] });
}

export function screenshotPath(name: string): string {
  mkdirSync(SCREENSHOTS_DIR, { recursive: true });
  return join(SCREENSHOTS_DIR, name);
}
