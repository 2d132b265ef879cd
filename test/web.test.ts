/**
 * The web app in a real browser (Debian's chromium, driven by playwright-core) against a
 * real `vae serve` and a real `vae train --ui`. Pixels are read back from the page's
 * canvases, so these tests check what a person would see: the decoded digit follows the
 * pointer, a drawn digit gets a marker and a reconstruction, two clicks give ten steps, and
 * the live page follows training until its stop button ends it with a checkpoint kept.
 *
 * Screenshots land in dist/screenshots/ for a person to look at. The live dashboard trains on
 * generated IDX data (test/support/tiny.ts): what it shows does not depend on the digits.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { loadDataset } from '../src/data/source.js';
import { defaultRunConfig, runData } from '../src/train/config.js';
import { createTrainingState, loadCheckpoint, saveCheckpoint } from '../src/train/checkpoint.js';
import { train } from '../src/train/trainer.js';
import { readMetrics } from '../src/train/metrics-log.js';
import { SCREENSHOTS_DIR as SCREENSHOTS, launchBrowser } from './support/browser.js';
import { startVae } from './support/cli.js';
import { tempRoot, writeIdxFolder } from './support/tiny.js';
import { useKernels } from '../src/engine/use-kernels.js';

// The models these pages show are trained here on the kernels the CLI would pick; the kernels
// themselves are held to each other in kernels.test and native-training.test.
useKernels('auto');

// The page's globals, for the functions that page.evaluate runs in the browser. Declared here,
// module-scoped, so the Node side of the build does not take on the DOM's types.
interface PageCanvas {
  width: number;
  height: number;
  clientWidth: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null;
  hasAttribute(name: string): boolean;
}
declare const document: {
  querySelector(selector: string): PageCanvas;
  body: { dataset: Record<string, string | undefined> };
  documentElement: { scrollWidth: number };
};
declare const window: { scrollTo(x: number, y: number): void };
declare function requestAnimationFrame(callback: () => void): number;

let root: string;
let browser: Browser;
let serve: ChildProcess;
let explorerUrl: string;

/** Starts the CLI and resolves `url` to the first URL-shaped match of `pattern` on its stdout. */
function startCli(args: string[], pattern: RegExp): { child: ChildProcess; url: Promise<string>; exit: Promise<number | null>; output: () => string } {
  const started = startVae(args, root, pattern);
  return { child: started.child, url: started.ready, exit: started.exit, output: started.output };
}

before(async () => {
  root = tempRoot('web-test');
  mkdirSync(SCREENSHOTS, { recursive: true });
  writeIdxFolder(join(root, 'live-data'), { train: 1024, test: 256 });

  // A small 2-D model, trained enough that the plane has regions: a few seconds.
  const config = defaultRunConfig();
  config.model.hidden = [64];
  config.model.latent = 2;
  config.training.epochs = 3;
  config.training.batchSize = 64;
  config.training.lr = 3e-3;
  config.training.trainSize = 6000;
  config.training.testSize = 500;
  const state = createTrainingState(config);
  await train(state, runData(loadDataset('mnist'), config.training));
  mkdirSync(join(root, 'run'));
  saveCheckpoint(join(root, 'run'), state);

  const started = startCli(['serve', '--run', join(root, 'run'), '--port', '0'], /explorer at (http:\S+)/);
  serve = started.child;
  explorerUrl = await started.url;
  // CI installs chromium (apt-get install -y chromium); without it these tests fail, not pass quietly.
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  serve?.kill('SIGINT');
  if (root !== undefined) rmSync(root, { recursive: true, force: true });
});

async function openExplorer(width: number, height: number): Promise<Page> {
  const page = await browser.newPage({ viewport: { width, height } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(explorerUrl);
  await page.waitForSelector('body[data-model="ready"][data-encodings="ready"]', { timeout: 30_000 });
  assert.deepEqual(errors, []);
  return page;
}

/** The canvas's pixels as a string, after the page has drawn its next frame. */
async function pixels(page: Page, selector: string): Promise<string> {
  return page.evaluate(async (sel) => {
    await new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r())));
    const c = document.querySelector(sel);
    return Array.from(c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data).join(',');
  }, selector);
}

/** The darkest pixel of a canvas (0 = black, 255 = white) and the reddest one (r - g). */
async function inkStats(page: Page, selector: string): Promise<{ darkest: number; reddest: number }> {
  return page.evaluate(async (sel) => {
    await new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r())));
    const c = document.querySelector(sel);
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let darkest = 255;
    let reddest = -255;
    for (let i = 0; i < d.length; i += 4) {
      if (d[i + 3]! === 0) continue;
      darkest = Math.min(darkest, d[i]!);
      reddest = Math.max(reddest, d[i]! - d[i + 1]!);
    }
    return { darkest, reddest };
  }, selector);
}

async function planeBox(page: Page): Promise<{ x: number; y: number; width: number; height: number }> {
  const overlay = page.locator('.scatter-overlay');
  await overlay.scrollIntoViewIfNeeded();
  const box = await overlay.boundingBox();
  assert.ok(box !== null);
  return box;
}

describe('the explorer', () => {
  test('the decoded digit follows the mouse across the plane, and the decode time is shown', async () => {
    const page = await openExplorer(1280, 800);
    const box = await planeBox(page);
    const seen = new Set<string>([await pixels(page, '#decoded')]);
    const readouts = new Set<string>();
    for (let i = 0; i <= 8; i++) {
      // Inside the axes (which take the left and bottom margins), corner to corner.
      const t = 0.12 + (0.8 * i) / 8;
      await page.mouse.move(box.x + box.width * t, box.y + box.height * (0.9 - 0.8 * (i / 8)));
      seen.add(await pixels(page, '#decoded'));
      readouts.add((await page.textContent('#z-readout')) ?? '');
    }
    assert.ok(seen.size >= 8, `only ${seen.size} different decoded images over 9 positions`);
    assert.ok(readouts.size >= 8, 'the z readout follows the pointer');
    assert.match((await page.textContent('#timing')) ?? '', /^decoded in \d+(\.\d+)? ms per frame/);
    // The variations: a mean and five Bernoulli draws, which differ from each other.
    const draws = await Promise.all([1, 2, 3].map((i) => pixels(page, `#variations figure:nth-child(${i + 1}) canvas`)));
    assert.equal(new Set(draws).size, 3);
    await page.close();
  });

  test('a digit drawn on the pad gets a posterior marker on the plane and a reconstruction', async () => {
    const page = await openExplorer(1280, 800);
    assert.equal((await page.getAttribute('.scatter-overlay', 'data-posterior')) ?? null, null);
    const pad = page.locator('#pad');
    await pad.scrollIntoViewIfNeeded();
    const b = (await pad.boundingBox())!;
    // A "7": a bar, then a diagonal.
    await page.mouse.move(b.x + b.width * 0.3, b.y + b.height * 0.2);
    await page.mouse.down();
    for (let i = 1; i <= 10; i++) await page.mouse.move(b.x + b.width * (0.3 + 0.4 * (i / 10)), b.y + b.height * 0.2);
    for (let i = 1; i <= 10; i++) await page.mouse.move(b.x + b.width * (0.7 - 0.3 * (i / 10)), b.y + b.height * (0.2 + 0.65 * (i / 10)));
    await page.mouse.up();

    await page.waitForSelector('.scatter-overlay[data-posterior]');
    assert.match((await page.textContent('#posterior-readout')) ?? '', /μ = \(.+\)\nσ = \(.+\)/);
    // What the encoder saw and what the decoder made of it both have ink.
    assert.ok((await inkStats(page, '#pad-input')).darkest < 80);
    assert.ok((await inkStats(page, '#reconstruction')).darkest < 200);
    // The marker is drawn where the page says, in red.
    const [px, py] = (await page.getAttribute('.scatter-overlay', 'data-posterior'))!.split(',').map(Number) as [number, number];
    const red = await page.evaluate(
      ([x, y]) => {
        const c = document.querySelector('.scatter-overlay');
        const s = c.width / c.clientWidth;
        const d = c.getContext('2d')!.getImageData(Math.round((x - 8) * s), Math.round((y - 8) * s), Math.round(16 * s), Math.round(16 * s)).data;
        let best = 0;
        for (let i = 0; i < d.length; i += 4) if (d[i + 3]! > 200) best = Math.max(best, d[i]! - d[i + 1]!);
        return best;
      },
      [px, py] as const,
    );
    assert.ok(red > 120, `no red marker at ${px},${py} (reddest ${red})`);

    await page.click('#clear');
    await page.waitForFunction(() => !document.querySelector('.scatter-overlay').hasAttribute('data-posterior'));
    await page.close();
  });

  test('two clicks on the plane give a strip of ten interpolated digits', async () => {
    const page = await openExplorer(1280, 800);
    assert.equal(await page.locator('#strip canvas').count(), 10);
    assert.equal(await page.locator('#strip.filled').count(), 0);
    const box = await planeBox(page);
    await page.mouse.click(box.x + box.width * 0.25, box.y + box.height * 0.3);
    await page.mouse.click(box.x + box.width * 0.8, box.y + box.height * 0.75);
    await page.waitForSelector('#strip.filled');
    const strip = await Promise.all(Array.from({ length: 10 }, (_, i) => pixels(page, `#strip figure:nth-child(${i + 1}) canvas`)));
    assert.equal(new Set(strip).size, 10, 'ten different steps');
    assert.match((await page.textContent('#strip-hint')) ?? '', /Ten decoded steps/);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(SCREENSHOTS, 'explorer-1280x800.png') });
    await page.screenshot({ path: join(SCREENSHOTS, 'explorer-1280-full.png'), fullPage: true });
    await page.close();
  });

  test('at a phone\'s width the plane fits the screen and a finger can draw', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true, deviceScaleFactor: 2 });
    const page = await context.newPage();
    await page.goto(explorerUrl);
    await page.waitForSelector('body[data-model="ready"][data-encodings="ready"]', { timeout: 30_000 });
    const plane = await planeBox(page);
    assert.ok(plane.width <= 390 && plane.x >= 0, `plane ${plane.width}px wide at x ${plane.x}`);
    const scroll = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(scroll <= 390, `page is ${scroll}px wide: it scrolls sideways`);

    const pad = page.locator('#pad');
    await pad.scrollIntoViewIfNeeded();
    const b = (await pad.boundingBox())!;
    const cdp = await context.newCDPSession(page);
    const touch = (type: 'touchStart' | 'touchMove' | 'touchEnd', x: number, y: number): Promise<unknown> =>
      cdp.send('Input.dispatchTouchEvent', { type, touchPoints: type === 'touchEnd' ? [] : [{ x, y }] });
    await touch('touchStart', b.x + b.width * 0.5, b.y + b.height * 0.15);
    for (let i = 1; i <= 12; i++) await touch('touchMove', b.x + b.width * 0.5, b.y + b.height * (0.15 + 0.7 * (i / 12)));
    await touch('touchEnd', 0, 0);
    await page.waitForSelector('.scatter-overlay[data-posterior]');
    assert.ok((await inkStats(page, '#reconstruction')).darkest < 200);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(SCREENSHOTS, 'explorer-390x844.png') });
    await page.screenshot({ path: join(SCREENSHOTS, 'explorer-390-full.png'), fullPage: true });
    await context.close();
  });
});

describe('the live dashboard', () => {
  test('follows vae train --ui, and its stop button ends training with a checkpoint kept', { timeout: 180_000 }, async () => {
    const out = join(root, 'live');
    const started = startCli(
      ['train', '--ui', '--port', '0', '--latent', '2', '--hidden', '32', '--train-size', '1024', '--test-size', '256', '--batch-size', '64', '--epochs', '100000', '--dataset', 'idx:live-data', '--out', out],
      /live dashboard: (http:\S+)/,
    );
    try {
      const url = await started.url;
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      await page.goto(url);
      await page.waitForFunction(() => Number(document.body.dataset.progressEvents ?? 0) >= 3, undefined, { timeout: 60_000 });
      await page.waitForFunction(() => Number(document.body.dataset.epochs ?? 0) >= 2, undefined, { timeout: 60_000 });
      assert.match((await page.textContent('#progress-text')) ?? '', /^Epoch \d+ of 100000 · batch \d+ of 16 · loss \d/);
      assert.match((await page.textContent('#eta')) ?? '', /left/);
      assert.ok(Number(await page.getAttribute('body', 'data-snapshot-step')) >= 16, 'a latent snapshot after the first epoch');
      assert.ok((await page.locator('#epochs tr').count()) >= 2);
      await page.screenshot({ path: join(SCREENSHOTS, 'live-1280x800.png') });

      await page.click('#stop');
      await page.waitForSelector('body[data-ended="stopped"]', { timeout: 60_000 });
      assert.equal(await started.exit, 130, started.output());
      const endText = (await page.textContent('#end')) ?? '';
      assert.match(endText, /^Training stopped during epoch \d+\. The checkpoint of epoch \d+ is in \S+; explore it with: vae serve --run /);
      await page.screenshot({ path: join(SCREENSHOTS, 'live-stopped-1280x800.png') });
      await page.close();

      const kept = loadCheckpoint(out);
      assert.ok(kept.epoch >= 2, `checkpoint of epoch ${kept.epoch}`);
      assert.ok(endText.includes(`epoch ${kept.epoch} is in`), endText);
      assert.deepEqual(readMetrics(out).map((m) => m.epoch), Array.from({ length: kept.epoch }, (_, i) => i + 1));
      assert.match(started.output(), /stopping after this step \(asked from the dashboard\)/);
    } finally {
      if (started.child.exitCode === null) started.child.kill('SIGKILL');
    }
  });

  test('at a phone\'s width the dashboard stacks into one column', { timeout: 120_000 }, async () => {
    const out = join(root, 'live-phone');
    const started = startCli(
      ['train', '--ui', '--port', '0', '--latent', '2', '--hidden', '32', '--train-size', '512', '--test-size', '256', '--batch-size', '64', '--epochs', '100000', '--dataset', 'idx:live-data', '--out', out],
      /live dashboard: (http:\S+)/,
    );
    try {
      const page = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 });
      await page.goto(await started.url);
      await page.waitForFunction(() => Number(document.body.dataset.epochs ?? 0) >= 1, undefined, { timeout: 60_000 });
      const scroll = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(scroll <= 390, `page is ${scroll}px wide: it scrolls sideways`);
      await page.screenshot({ path: join(SCREENSHOTS, 'live-390x844.png'), fullPage: true });
      // As the page's own stop button would: its token, from its own origin.
      const token = (await page.getAttribute('meta[name="vae-token"]', 'content')) ?? '';
      const url = new URL('/api/stop', await started.url);
      const stop = await fetch(url, { method: 'POST', headers: { 'x-vae-token': token, origin: url.origin } });
      assert.equal(stop.status, 202);
      assert.equal(await started.exit, 130);
      await page.close();
    } finally {
      if (started.child.exitCode === null) started.child.kill('SIGKILL');
    }
  });
});

test('the screenshots were written', () => {
  for (const name of ['explorer-1280x800.png', 'explorer-390x844.png', 'live-1280x800.png', 'live-390x844.png']) {
    const path = join(SCREENSHOTS, name);
    assert.ok(existsSync(path) && statSync(path).size > 10_000, path);
    assert.deepEqual([...readFileSync(path).subarray(1, 4)], [0x50, 0x4e, 0x47]);
  }
});
