/**
 * The gallery of a class's collection: 300 samples are all listed, but a phone opening it
 * fetches the pictures near the screen, not all 300 at once (every visit and every refresh
 * would otherwise ask the server for the whole folder).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { launchBrowser } from './support/browser.js';
import { startCollect } from './support/collect.js';
import { writeHelloFolder } from './support/hello-strokes.js';
import { tempRoot } from './support/tiny.js';

declare const window: { galleryReady?: boolean };
declare const document: { querySelector(selector: string): { complete: boolean; naturalWidth: number } | null };

const root = tempRoot('collect-gallery-many');
after(() => rmSync(root, { recursive: true, force: true }));

test('a gallery of 300 samples lists them all and fetches only the pictures near the screen', { timeout: 120_000 }, async () => {
  const c = await startCollect(root, { name: 'many' });
  const browser = await launchBrowser();
  try {
    writeHelloFolder(c.dir, 300, 11);
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    const fetched = new Set<string>();
    page.on('request', (r) => {
      const path = new URL(r.url()).pathname;
      if (path.startsWith('/samples/')) fetched.add(path);
    });
    await page.goto(`http://127.0.0.1:${c.port}/gallery`);
    await page.waitForFunction(() => window.galleryReady === true);
    await page.waitForTimeout(1000);
    assert.equal(await page.locator('li.sample').count(), 300);
    assert.ok(fetched.size >= 4 && fetched.size < 100, `${fetched.size} pictures fetched on opening`);
    // Scrolled to the end, the oldest sample's picture comes in.
    await page.locator('li[data-file="hello-0001.png"]').scrollIntoViewIfNeeded();
    await page.waitForFunction(() => {
      const img = document.querySelector('li[data-file="hello-0001.png"] img');
      return img !== null && img.complete && img.naturalWidth === 128;
    });
    assert.ok(fetched.has('/samples/hello-0001.png'));
  } finally {
    await browser.close();
    await c.close();
  }
});
