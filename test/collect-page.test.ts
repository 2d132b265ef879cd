/**
 * The collect pages in a real browser (Debian's chromium through playwright-core), as a room
 * of phones would use them: `vae collect --host 0.0.0.0` started as a process, its printed
 * address (with the token) opened at 390 x 844; a word drawn with the mouse on the pad, sent,
 * "Saved hello-0001.png" on the page and the file in the folder; then the gallery shows it
 * and deletes it after asking. Screenshots land in dist/screenshots/collect-*.png.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { PNG } from 'pngjs';
import { launchBrowser, screenshotPath } from './support/browser.js';
import { startVae } from './support/cli.js';
import { drawHello, drawPath } from './support/collect-page.js';
import { startCollect } from './support/collect.js';
import { helloSamples } from './support/hello-strokes.js';
import { tempRoot } from './support/tiny.js';

declare const document: {
  querySelector(s: string): { textContent: string | null; width: number; height: number } | null;
  images: ArrayLike<{ complete: boolean; naturalWidth: number }>;
};
declare const window: { collectReady?: boolean; galleryReady?: boolean; getComputedStyle(e: unknown): { touchAction: string } };

const root = tempRoot('collect-page');
let browser: Browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  rmSync(root, { recursive: true, force: true });
});

test('a phone draws, sends and sees the file named; the gallery shows it and deletes it', { timeout: 120_000 }, async () => {
  const out = join(root, 'hello');
  const run = startVae(['collect', '--out', out, '--host', '0.0.0.0', '--port', '0'], root, /^open on the phones of this network (\S+)/m);
  try {
    const printed = await run.ready;
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    page.on('response', (r) => {
      if (r.status() >= 400) problems.push(`${r.status()} ${r.url()}`);
    });
    await page.goto(printed);
    await page.waitForFunction(() => window.collectReady === true);
    assert.equal(new URL(page.url()).searchParams.has('token'), false, 'the token left the address bar');
    assert.equal(await page.textContent('#prompt'), 'hello');
    // The backing canvas is the same on every phone; CSS only scales it.
    assert.deepEqual(await page.evaluate(() => [document.querySelector('#pad')!.width, document.querySelector('#pad')!.height]), [1024, 256]);
    assert.equal(await page.evaluate(() => window.getComputedStyle(document.querySelector('#pad')).touchAction), 'none');
    const box = (await page.locator('#pad').boundingBox())!;
    assert.ok(box.width >= 340 && box.x >= 0 && box.x + box.width <= 390, `the pad fits the phone: ${JSON.stringify(box)}`);
    assert.ok(Math.abs(box.width / box.height - 4) < 0.1, `4:1, got ${box.width}x${box.height}`);
    assert.equal(await page.isDisabled('#send'), true, 'nothing to send yet');

    // Pens: one pressed at a time.
    await page.click('button[data-pen="thick"]');
    assert.deepEqual(await page.locator('button[data-pen]').evaluateAll((bs) => bs.map((b) => b.getAttribute('aria-pressed'))), ['false', 'false', 'true']);
    await page.click('button[data-pen="medium"]');

    // A stroke, cleared: nothing is sent.
    await drawPath(page, [[0.2, 0.3], [0.5, 0.6]]);
    assert.equal(await page.isDisabled('#send'), false);
    await page.click('#clear');
    assert.equal(await page.isDisabled('#send'), true);

    await drawHello(page, helloSamples(1, 3, { pens: ['medium'] })[0]!);
    await page.screenshot({ path: screenshotPath('collect-phone.png') });
    await page.click('#send');
    await page.waitForFunction(() => document.querySelector('#status')?.textContent === 'Saved hello-0001.png', undefined, { timeout: 20_000 });
    assert.deepEqual(readdirSync(out), ['hello-0001.png']);
    const stored = PNG.sync.read(readFileSync(join(out, 'hello-0001.png')));
    assert.deepEqual([stored.width, stored.height], [128, 32]);
    let ink = 0;
    for (let i = 0; i < 128 * 32; i++) ink += stored.data[4 * i]! / 255;
    // A word of a few hundred pixels of stroke: neither empty nor a filled frame.
    assert.ok(ink > 150 && ink < 2000, `ink ${ink}`);
    assert.equal(await page.isDisabled('#send'), true, 'the pad is cleared after a send');
    assert.match(run.stdout(), /^saved hello-0001\.png \(from \S+\)$/m);

    // The gallery, by the page's own link (the cookie carries the token from here on).
    await page.click('a[href="/gallery"]');
    await page.waitForFunction(() => window.galleryReady === true);
    await page.waitForFunction(() => Array.from(document.images).every((img) => img.complete && img.naturalWidth === 128));
    assert.deepEqual(await page.locator('li[data-file]').evaluateAll((ls) => ls.map((l) => l.getAttribute('data-file'))), ['hello-0001.png']);
    assert.match((await page.textContent('#count')) ?? '', /^1 sample in the folder/);
    await page.screenshot({ path: screenshotPath('collect-gallery-390.png'), fullPage: true });
    // Delete asks first; Keep keeps.
    await page.click('li[data-file="hello-0001.png"] button.delete');
    await page.click('li[data-file="hello-0001.png"] button.confirm-no');
    assert.ok(existsSync(join(out, 'hello-0001.png')));
    await page.click('li[data-file="hello-0001.png"] button.delete');
    await page.click('li[data-file="hello-0001.png"] button.confirm-yes');
    await page.waitForSelector('li[data-file="hello-0001.png"]', { state: 'detached' });
    assert.deepEqual(readdirSync(out), []);
    assert.match((await page.textContent('#count')) ?? '', /^0 samples in the folder/);
    assert.equal(await page.isVisible('#empty'), true);
    assert.match(run.stdout(), /^deleted hello-0001\.png \(from \S+\)$/m);
    assert.deepEqual(problems, []);
    await page.close();
  } finally {
    assert.equal(await run.stop(), 0, run.output());
  }
});

test('a finger draws on the pad of a touch phone, and a second finger meanwhile does not draw', { timeout: 60_000 }, async () => {
  const c = await startCollect(root, { name: 'touch' });
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true, deviceScaleFactor: 2 });
  try {
    const page = await context.newPage();
    await page.goto(`http://127.0.0.1:${c.port}/`);
    await page.waitForFunction(() => window.collectReady === true);
    const box = (await page.locator('#pad').boundingBox())!;
    const cdp = await context.newCDPSession(page);
    const touch = (type: 'touchStart' | 'touchMove' | 'touchEnd', points: Array<[number, number, number]>) =>
      cdp.send('Input.dispatchTouchEvent', { type, touchPoints: points.map(([x, y, id]) => ({ x: box.x + x * box.width, y: box.y + y * box.height, id })) });
    // One finger along the left half, once with a second finger touching down and moving on the
    // right half meanwhile, once alone: the same drawing both times.
    const stroke = async (secondFinger: boolean): Promise<Buffer> => {
      await touch('touchStart', [[0.1, 0.5, 1]]);
      for (let i = 1; i <= 20; i++) {
        const x = 0.1 + 0.02 * i;
        const y = 0.5 + 0.2 * Math.sin(i / 3);
        await touch('touchMove', secondFinger && i >= 5 && i <= 12 ? [[x, y, 1], [0.85, 0.3 + 0.02 * i, 2]] : [[x, y, 1]]);
      }
      await touch('touchEnd', []);
      assert.equal(await page.isDisabled('#send'), false, 'the finger drew');
      const before = await page.textContent('#status');
      await page.click('#send');
      await page.waitForFunction((old) => /^Saved /.test(document.querySelector('#status')?.textContent ?? '') && document.querySelector('#status')?.textContent !== old, before, { timeout: 20_000 });
      const file = (await page.textContent('#status'))!.replace('Saved ', '');
      return readFileSync(join(c.dir, file));
    };
    const withPalm = PNG.sync.read(await stroke(true));
    const alone = PNG.sync.read(await stroke(false));
    assert.deepEqual(readdirSync(c.dir).sort(), ['hello-0001.png', 'hello-0002.png']);
    let ink = 0;
    let differ = 0;
    for (let i = 0; i < 128 * 32; i++) {
      ink += alone.data[4 * i]!;
      differ += Math.abs(withPalm.data[4 * i]! - alone.data[4 * i]!);
    }
    assert.ok(ink > 100 * 255, `the stroke left ink: ${ink / 255}`);
    assert.ok(differ <= 0.02 * ink, `the second finger changed the drawing: ${differ / 255} of ${ink / 255} pixels of ink differ`);
    await page.screenshot({ path: screenshotPath('collect-touch.png') });
  } finally {
    await context.close();
    await c.close();
  }
});
