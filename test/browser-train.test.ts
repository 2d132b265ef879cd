/**
 * Training in a browser tab, in Debian's chromium against the real server: the page trains a
 * small model in its worker, the loss curve and the plane fill in, the stop button keeps the
 * last whole epoch, dropped images train too, and the checkpoint the page builds is one the
 * CLI opens: `vae eval` on it gives the test loss the page reported.
 *
 * Screenshots land in /tmp/shots-browser/ for a person to look at.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, screenshotPath } from './support/browser.js';
import { createExplorerServer, listen, shutdown } from '../src/server/app.js';
import { RunSource } from '../src/server/run-source.js';
import { loadWebApp } from '../src/server/static-assets.js';
import { loadCheckpoint } from '../src/train/checkpoint.js';
import { unpackImages } from '../src/data/packed-images.js';
import { loadMnist } from '../src/data/mnist.js';

// The page's globals, for the functions page.evaluate runs in the browser.
declare const document: {
  body: { dataset: Record<string, string | undefined>; innerText: string };
  querySelector(selector: string): {
    width: number;
    height: number;
    getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null;
  } | null;
  querySelectorAll(selector: string): { length: number };
};

const MAIN = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
/** The machine may be shared and busy: generous, since nothing here measures speed. */
const TRAINING_TIMEOUT = 300_000;

let root: string;
let browser: Browser;
let server: Server;
let base: string;

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'vae-browser-train-'));
  // No model yet: the training page needs none.
  server = createExplorerServer({ run: new RunSource(join(root, 'none', 'checkpoint.safetensors'), null), web: loadWebApp() });
  base = await listen(server, '127.0.0.1', 0);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  if (server !== undefined) await shutdown(server);
  rmSync(root, { recursive: true, force: true });
});

async function openPage(query: string, width = 1280): Promise<Page> {
  const page = await browser.newPage({ viewport: { width, height: 900 }, acceptDownloads: true });
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  await page.goto(`${base}train?${query}`);
  await page.waitForFunction(() => document.body.dataset.ready === 'true');
  assert.deepEqual(errors, []);
  return page;
}

async function waitForEnd(page: Page): Promise<string> {
  await page.waitForFunction(() => document.body.dataset.ended !== undefined, null, { timeout: TRAINING_TIMEOUT });
  return (await page.evaluate(() => document.body.dataset.ended))!;
}

async function download(page: Page, name: string): Promise<string> {
  const [file] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
  assert.equal(file.suggestedFilename(), 'checkpoint.safetensors');
  const path = join(root, name);
  await file.saveAs(path);
  return path;
}

/** Pixels of a canvas that are neither white nor the page's light greys: drawn marks. */
async function inkedPixels(page: Page, selector: string): Promise<number> {
  return page.evaluate((sel) => {
    const canvas = document.querySelector(sel)!;
    const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    let n = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i + 3]! > 0 && data[i]! < 200) n++;
    return n;
  }, selector);
}

describe('training in a browser tab', () => {
  test('the data route serves MNIST as packed bytes, cacheable, read-only', async () => {
    const res = await fetch(`${base}data/mnist/test.bin`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('cache-control') ?? '', /max-age=\d+/);
    const etag = res.headers.get('etag');
    assert.ok(etag !== null);
    const packed = unpackImages(new Uint8Array(await res.arrayBuffer()));
    const mnist = loadMnist();
    assert.deepEqual([packed.count, packed.height, packed.width, packed.channels], [10000, 28, 28, 1]);
    assert.deepEqual(Array.from(packed.labels.subarray(0, 50)), Array.from(mnist.test.labels.subarray(0, 50)));
    let differing = 0;
    for (let i = 0; i < packed.pixels.length; i++) if (packed.pixels[i]! !== mnist.test.pixels[i]) differing++;
    assert.equal(differing, 0, 'every pixel is the byte the Node loader scales');
    assert.equal((await fetch(`${base}data/mnist/test.bin`, { headers: { 'if-none-match': etag } })).status, 304);
    assert.ok((await fetch(`${base}data/mnist/test.bin`, { method: 'POST' })).status >= 400, 'the data are read-only');
    assert.equal((await fetch(`${base}data/mnist/other.bin`)).status, 404);
  });

  test('MNIST: the page trains, draws the curve and the plane, and its checkpoint opens in vae eval with the same test loss', async () => {
    const page = await openPage('latent=2&hidden=64&epochs=1&train=1000&test=500&seed=3&autostart=1');
    assert.equal(await waitForEnd(page), 'done');
    const data = await page.evaluate(() => ({ ...document.body.dataset }));
    assert.match(data.kernels ?? '', /^wasm \(\d+ threads?\)$/, 'the page trains on the wasm kernels');
    assert.equal(data.isolated, 'true', 'the worker is cross-origin isolated, so threaded kernels may share memory');
    assert.equal(Number(data.steps), Math.ceil(1000 / 128));
    assert.equal(data.epochs, '1');
    assert.ok(Number(data.planeStep) >= 1, `the plane was drawn after training began (step ${data.planeStep})`);
    assert.ok((await inkedPixels(page, '#loss-box canvas')) > 50, 'the loss chart has its curve and dots');
    assert.ok((await inkedPixels(page, '.scatter-base')) > 50, 'the plane has its points');
    const pageTest = Number(data.lastTest);
    assert.ok(Number.isFinite(pageTest) && pageTest > 50 && pageTest < 600, `page test loss ${pageTest}`);

    await page.screenshot({ path: screenshotPath('train-mnist-1280.png'), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(200);
    await page.screenshot({ path: screenshotPath('train-mnist-390.png'), fullPage: true });

    const file = await download(page, 'mnist.safetensors');
    const state = loadCheckpoint(file);
    assert.equal(state.epoch, 1);
    assert.deepEqual(state.config.model.hidden, [64]);
    assert.equal(state.config.model.latent, 2);
    assert.equal(state.config.training.trainSize, 1000);
    assert.equal(state.config.training.testSize, 500);
    const out = JSON.parse(execFileSync(process.execPath, [MAIN, 'eval', '--checkpoint', file, '--json', '--kernels', 'js'], { encoding: 'utf8' })) as {
      test_nelbo: number;
      examples: number;
    };
    assert.equal(out.examples, 500);
    assert.ok(Number.isFinite(out.test_nelbo));
    // Same weights, same images, same evaluation seed: equal up to summation order.
    assert.ok(Math.abs(out.test_nelbo - pageTest) < 0.5, `vae eval ${out.test_nelbo} vs page ${pageTest}`);
    await page.close();
  });

  test('the stop button ends training and keeps the last finished epoch', async () => {
    const page = await openPage('latent=2&hidden=32&epochs=200&train=500&test=200&autostart=1');
    await page.waitForFunction(() => Number(document.body.dataset.epochs ?? 0) >= 1 && Number(document.body.dataset.steps ?? 0) >= 6, null, {
      timeout: TRAINING_TIMEOUT,
    });
    await page.click('#stop');
    assert.equal(await waitForEnd(page), 'stopped');
    const kept = Number(await page.evaluate(() => document.body.dataset.epochs));
    assert.ok(kept >= 1 && kept < 200);
    const state = loadCheckpoint(await download(page, 'stopped.safetensors'));
    assert.equal(state.epoch, kept);
    await page.close();
  });

  test('dropped images train too, and the page calls them images, not digits', async () => {
    const dir = join(root, 'pictures');
    mkdirSync(dir);
    const files: string[] = [];
    // Twelve 40x40 pictures: a bright disc of varying size and place on a dark ground.
    for (let k = 0; k < 12; k++) {
      const png = new PNG({ width: 40, height: 40 });
      const cx = 12 + (k % 4) * 5;
      const cy = 12 + Math.floor(k / 4) * 7;
      const r = 5 + (k % 3) * 2;
      for (let y = 0; y < 40; y++) {
        for (let x = 0; x < 40; x++) {
          const i = 4 * (y * 40 + x);
          const v = (x - cx) ** 2 + (y - cy) ** 2 <= r * r ? 230 : 10;
          png.data[i] = v;
          png.data[i + 1] = v;
          png.data[i + 2] = v;
          png.data[i + 3] = 255;
        }
      }
      const path = join(dir, `disc-${k}.png`);
      writeFileSync(path, PNG.sync.write(png));
      files.push(path);
    }
    const page = await openPage('latent=2&hidden=16&epochs=3&batch=4&side=20');
    await page.setInputFiles('#files', files);
    await page.waitForFunction(() => document.querySelectorAll('#thumbs canvas').length === 12);
    const thumbInk = await inkedPixels(page, '#thumbs canvas');
    assert.ok(thumbInk > 0 && thumbInk < 20 * 20, `a thumbnail shows a disc, not a blank or a full square (${thumbInk} dark pixels)`);
    await page.click('#start');
    assert.equal(await waitForEnd(page), 'done');
    const data = await page.evaluate(() => ({ ...document.body.dataset }));
    // 12 images: 1 held out for testing, 11 to train on in batches of 4.
    assert.equal(Number(data.steps), 3 * Math.ceil(11 / 4));
    assert.ok((await inkedPixels(page, '.scatter-base')) > 0, 'the plane shows the training images when the test set is tiny');
    const text = await page.evaluate(() => document.body.innerText);
    assert.doesNotMatch(text, /digit/i, 'nothing on the page says digit when the data are not digits');
    assert.match(text, /11 training and 1 test images/);
    await page.screenshot({ path: screenshotPath('train-images-1280.png'), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(200);
    await page.screenshot({ path: screenshotPath('train-images-390.png'), fullPage: true });

    const file = await download(page, 'images.safetensors');
    const state = loadCheckpoint(file);
    assert.equal(state.config.model.inputDim, 400);
    assert.equal(state.epoch, 3);
    const grid = join(root, 'samples.png');
    execFileSync(process.execPath, [MAIN, 'sample', '--checkpoint', file, '--count', '4', '--out', grid, '--kernels', 'js'], { encoding: 'utf8' });
    const sampled = PNG.sync.read(await import('node:fs').then((fs) => fs.readFileSync(grid)));
    assert.ok(sampled.width > 0 && sampled.height > 0);
    await page.close();
  });
});
