/**
 * The explorer's hidden factors, in Debian's chromium against the real server, on a 2-D
 * conditional MNIST model (given the class, its plane holds style: slant and width) and the
 * factors.json its training wrote: the dots
 * can be coloured by a measure the server took of each test digit, the axes carry their
 * factor names, and a factor's slider moves the decoded point along that factor's direction,
 * so that the decoded digit's own measure moves the way the slider says.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { createExplorerServer, listen, shutdown } from '../src/server/app.js';
import { RunSource } from '../src/server/run-source.js';
import { loadWebApp } from '../src/server/static-assets.js';
import { imageFloats } from '../src/data/dataset.js';
import { GLYPH_MEASURES, measureGlyph } from '../src/measure/glyph.js';
import type { FactorsFile } from '../src/train/factors.js';
import { launchBrowser, screenshotPath } from './support/browser.js';
import { vaeOk } from './support/cli.js';
import { mnistOnce, tempRoot } from './support/tiny.js';

interface Current {
  z: number[];
  mean: number[];
  plane: string;
  axes: [string, string];
  colourBy: string;
}
declare const window: { vaeExplorer: { current(): Current } };
declare const document: {
  body: { dataset: Record<string, string | undefined> };
  getElementById(id: string): { textContent: string | null } | null;
  querySelector(s: string): { textContent: string | null; toDataURL(): string } | null;
  querySelectorAll(s: string): ArrayLike<{ value: string }>;
};

const TEST_IMAGES = 500;
const TIMEOUT = 300_000;

let root: string;
let browser: Browser;
let server: Server;
let base: string;
let factors: FactorsFile;

before(async () => {
  root = tempRoot('explorer-factors');
  const run = join(root, 'run');
  await vaeOk(['train', '--dataset', 'mnist', '--conditional', '--latent', '2', '--hidden', '256', '--epochs', '3', '--train-size', '20000', '--test-size', String(TEST_IMAGES), '--out', run]);
  factors = JSON.parse(readFileSync(join(run, 'factors.json'), 'utf8')) as FactorsFile;
  server = createExplorerServer({ run: new RunSource(join(run, 'checkpoint.safetensors'), run), web: loadWebApp() });
  base = await listen(server, '127.0.0.1', 0);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  if (server !== undefined) await shutdown(server);
  rmSync(root, { recursive: true, force: true });
});

async function open(width: number, errors: string[]): Promise<Page> {
  const page = await browser.newPage({ viewport: { width, height: width < 500 ? 844 : 900 }, hasTouch: width < 500, isMobile: width < 500 });
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (message) => {
    if (message.type() === 'warning' || message.type() === 'error') errors.push(message.text());
  });
  await page.goto(base);
  await page.waitForFunction(() => document.body.dataset.measures === 'ready' && document.body.dataset.factors === 'ready', null, { timeout: TIMEOUT });
  return page;
}

/** Sets a range input and lets the page decode. */
async function slide(page: Page, id: string, value: number): Promise<Current> {
  const decodes = await page.evaluate(() => Number(document.body.dataset.decodes ?? 0));
  await page.fill(`#${id}`, String(value));
  await page.waitForFunction((n) => Number(document.body.dataset.decodes ?? 0) > n, decodes);
  return page.evaluate(() => window.vaeExplorer.current());
}

describe('the explorer names and moves the hidden factors', () => {
  test('the dots can be coloured by a measure of each test digit, with a colour bar', async () => {
    const errors: string[] = [];
    const page = await open(1280, errors);
    const served = (await (await fetch(`${base}api/measures`)).json()) as { names: string[]; count: number; values: number[] };
    assert.deepEqual(served.names, [...GLYPH_MEASURES]);
    assert.equal(served.count, TEST_IMAGES);
    const test = mnistOnce().test;
    for (const i of [0, 17, 499]) {
      const m = measureGlyph(imageFloats(test, i), 28, 28);
      served.names.forEach((name, k) => assert.ok(Math.abs(served.values[i * served.names.length + k]! - m[name as keyof typeof m]) < 2e-3, `${name} of test digit ${i}`));
    }
    const options = await page.evaluate(() => Array.from(document.querySelectorAll('#colour-by option'), (o) => o.value));
    assert.deepEqual(options, ['class', ...GLYPH_MEASURES]);
    const byClass = await page.evaluate(() => document.querySelector('.scatter-base')!.toDataURL());
    await page.selectOption('#colour-by', 'slant_deg');
    const bySlant = await page.evaluate(() => document.querySelector('.scatter-base')!.toDataURL());
    assert.notEqual(bySlant, byClass, 'the dots change colour');
    assert.equal((await page.evaluate(() => window.vaeExplorer.current())).colourBy, 'slant_deg');
    assert.match((await page.evaluate(() => document.querySelector('#legend')!.textContent)) ?? '', /slant \(degrees\)/);
    await page.screenshot({ path: screenshotPath('explorer-factors-1280.png'), fullPage: true });
    await page.selectOption('#colour-by', 'class');
    assert.equal(await page.evaluate(() => document.querySelector('.scatter-base')!.toDataURL()), byClass, 'back to class colours');
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('the axes say what they track, and a factor slider moves the decoded digit that way', async () => {
    const errors: string[] = [];
    const page = await open(1280, errors);
    const { axes } = await page.evaluate(() => window.vaeExplorer.current());
    for (const d of [0, 1]) {
      const name = factors.dimensions[d]!.factor!.replace(/_deg$/, '');
      assert.ok(axes[d]!.includes(name), `axis ${d + 1} "${axes[d]}" names ${name}`);
    }
    for (const [name, units, least] of [
      ['slant_deg', 'degrees', 10],
      ['width', 'pixels', 2],
    ] as const) {
      assert.ok(factors.directions[name]!.r > 0.5, `${name} is a factor of this model (r ${factors.directions[name]!.r})`);
      const low = await slide(page, `factor-${name}`, -2);
      const canvasLow = await page.evaluate(() => document.querySelector('#decoded')!.toDataURL());
      const high = await slide(page, `factor-${name}`, 2);
      const canvasHigh = await page.evaluate(() => document.querySelector('#decoded')!.toDataURL());
      assert.notEqual(canvasHigh, canvasLow, `the decoded image follows the ${name} slider`);
      const v = factors.directions[name]!.vector;
      high.z.forEach((zj, j) => assert.ok(Math.abs(zj - low.z[j]! - 4 * v[j]!) < 1e-4, `the point moves along the ${name} direction`));
      const before = measureGlyph(Float32Array.from(low.mean), 28, 28)[name];
      const afterward = measureGlyph(Float32Array.from(high.mean), 28, 28)[name];
      console.log(`${name}: decoded ${before.toFixed(1)} at -2, ${afterward.toFixed(1)} at +2 ${units}`);
      assert.ok(afterward - before > least, `"more ${name}" makes ${name} grow: ${before.toFixed(2)} -> ${afterward.toFixed(2)} ${units}`);
      await slide(page, `factor-${name}`, 0);
    }
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('on a phone the decoded digit stays in view while a finger moves on the plane, and the page does not scroll', async () => {
    const errors: string[] = [];
    const page = await open(390, errors);
    await page.evaluate(() => (document as unknown as { querySelector(s: string): { scrollIntoView(o: object): void } }).querySelector('.scatter')!.scrollIntoView({ block: 'center' }));
    const box = (await page.locator('.scatter-overlay').boundingBox())!;
    const scrollBefore = await page.evaluate(() => (globalThis as unknown as { scrollY: number }).scrollY);
    const cdp = await page.context().newCDPSession(page);
    const at = (fx: number, fy: number): Array<{ x: number; y: number }> => [{ x: box.x + fx * box.width, y: box.y + fy * box.height }];
    const first = await page.evaluate(() => window.vaeExplorer.current().z);
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: at(0.5, 0.5) });
    for (let k = 1; k <= 8; k++) await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: at(0.5 + 0.04 * k, 0.5 - 0.03 * k) });
    await page.waitForTimeout(200);
    const floating = (await page.locator('#float-preview').boundingBox())!;
    assert.ok(floating !== null, 'the floating preview shows while the finger is down');
    assert.ok(floating.y >= 0 && floating.y + floating.height <= 844 && floating.x >= 0 && floating.x + floating.width <= 390, `the preview is on screen: ${JSON.stringify(floating)}`);
    const moved = await page.evaluate(() => window.vaeExplorer.current().z);
    assert.ok(Math.hypot(moved[0]! - first[0]!, moved[1]! - first[1]!) > 0.1, 'the finger moves the decoded point');
    assert.equal(await page.evaluate(() => (globalThis as unknown as { scrollY: number }).scrollY), scrollBefore, 'the page did not scroll');
    await page.screenshot({ path: screenshotPath('explorer-factors-390-touch.png') });
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
    await page.waitForTimeout(100);
    assert.equal(await page.locator('#float-preview').isVisible(), false, 'the preview goes when the finger lifts');
    await page.selectOption('#colour-by', 'width');
    await page.screenshot({ path: screenshotPath('explorer-factors-390.png'), fullPage: true });
    assert.deepEqual(errors, []);
    await page.close();
  });
});
