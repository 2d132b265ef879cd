/**
 * The pages for data that are not grey digits, in Debian's chromium against the real server:
 * a folder of colour shapes whose class is their colour (red/, blue/, pictures wider than
 * tall), and a conditional conv model of them (told the colour, it draws it). The explorer shows colour, names the classes and never says "digit", starts its
 * 3-D latent on the principal plane with the raw axes a choice away, and takes a dropped
 * picture (cut and resampled to the byte as the folder loader does) to the encoder. The live
 * page of the same run shows colour and the class names. And the time a 64x64 colour conv
 * decoder takes per frame in the page is printed (measured, not asserted; see BENCHMARKS.md).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import type { Browser, Page } from 'playwright-core';
import { createExplorerServer, listen, shutdown } from '../src/server/app.js';
import { EventHub } from '../src/server/event-hub.js';
import { RunSource } from '../src/server/run-source.js';
import { TrainingFeed } from '../src/server/training-feed.js';
import { loadWebApp } from '../src/server/static-assets.js';
import { loadPictures } from '../src/data/folder.js';
import { PICTURE_MEASURES } from '../src/measure/picture.js';
import { loadDataset } from '../src/data/source.js';
import { decodeCheckpoint } from '../src/train/checkpoint.js';
import { runData } from '../src/train/config.js';
import { datasetOptionsForModel } from '../src/train/run-data.js';
import { Random } from '../src/engine/random.js';
import { launchBrowser, screenshotPath } from './support/browser.js';
import { describeRun, vae } from './support/cli.js';
import { tempRoot } from './support/tiny.js';

interface Current {
  z: number[];
  mean: number[];
  plane: string;
  axes: [string, string];
  input: number[] | null;
  posterior: number[] | null;
}
interface PageExplorer {
  decode(z: number[]): number[];
  current(): Current;
}
declare const window: { vaeExplorer: PageExplorer };
interface Canvas {
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } };
}
declare const document: {
  body: { dataset: Record<string, string | undefined>; innerText: string };
  querySelector(s: string): (Canvas & { textContent: string | null; dataset: Record<string, string | undefined> }) | null;
  querySelectorAll(s: string): ArrayLike<Canvas>;
};

const TIMEOUT = 300_000;
const COLOURS = { red: [220, 30, 40], blue: [30, 60, 220] } as const;

let root: string;
let browser: Browser;
const servers: Server[] = [];

/** A 40x30 picture: a disc or a square of `rgb` on white (or on transparency), at a seeded place. */
function shapePicture(rgb: readonly number[], rng: Random, square: boolean, width = 40, height = 30, transparent = false): Buffer {
  const png = new PNG({ width, height });
  const cx = width * 0.3 + rng.uniform() * width * 0.4;
  const cy = height * 0.3 + rng.uniform() * height * 0.4;
  const r = height * (0.17 + rng.uniform() * 0.13);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const inside = square ? Math.abs(x - cx) < r && Math.abs(y - cy) < r : (x - cx) ** 2 + (y - cy) ** 2 < r * r;
      const i = 4 * (y * width + x);
      png.data[i] = inside ? rgb[0]! : 255;
      png.data[i + 1] = inside ? rgb[1]! : 255;
      png.data[i + 2] = inside ? rgb[2]! : 255;
      png.data[i + 3] = inside || !transparent ? 255 : 0;
    }
  }
  return PNG.sync.write(png);
}

function writeShapes(dir: string): string {
  const rng = new Random(5);
  for (const [name, rgb] of Object.entries(COLOURS)) {
    mkdirSync(join(dir, name), { recursive: true });
    for (let k = 0; k < 120; k++) writeFileSync(join(dir, name, `${k}.png`), shapePicture(rgb, rng, k % 2 === 0));
  }
  return dir;
}

/**
 * Trains a run and returns its folder. The run's checkpoint is what the pages need: the
 * figures drawn after training are another part's business, so the exit status is reported
 * but the checkpoint and config are what is required.
 */
async function trainRun(dir: string, args: string[]): Promise<string> {
  const r = await vae(['train', ...args, '--out', dir]);
  assert.ok(existsSync(join(dir, 'checkpoint.safetensors')), `no checkpoint: ${describeRun(r)}`);
  if (r.status !== 0) console.log(`vae train exited ${r.status} after writing the checkpoint: ${r.stderr.trim().split('\n').filter((l) => !l.startsWith('epoch ')).slice(0, 2).join(' | ')}`);
  return dir;
}

async function serve(run: string, live?: { hub: EventHub; stop(): boolean }): Promise<string> {
  const server = createExplorerServer({ run: new RunSource(join(run, 'checkpoint.safetensors'), run), web: loadWebApp(), live });
  servers.push(server);
  return listen(server, '127.0.0.1', 0);
}

let shapes: string;
let colourRun: string;
let colourBase: string;
let bigRun: string;

before(async () => {
  root = tempRoot('explorer-images');
  shapes = writeShapes(join(root, 'shapes'));
  colourRun = await trainRun(join(root, 'colour'), [
    '--dataset', `folder:${shapes}`, '--conditional', '--arch', 'conv', '--image-size', '16', '--conv-channels', '8,16', '--hidden', '64', '--latent', '3',
    '--batch-size', '16', '--epochs', '60', '--seed', '2',
  ]);
  colourBase = await serve(colourRun);
  // The decoder the speed target is about: 64x64 colour, four stride-2 stages. One epoch: its speed does not depend on its weights.
  bigRun = await trainRun(join(root, 'big'), [
    '--dataset', `folder:${shapes}`, '--arch', 'conv', '--image-size', '64', '--conv-channels', '32,64,128,256', '--hidden', '256', '--latent', '8', '--epochs', '1',
  ]);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  for (const s of servers) await shutdown(s);
  rmSync(root, { recursive: true, force: true });
});

async function open(base: string, path: string, width: number, ready: () => boolean, errors: string[]): Promise<Page> {
  const page = await browser.newPage({ viewport: { width, height: width < 500 ? 844 : 900 }, hasTouch: width < 500, isMobile: width < 500 });
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (message) => {
    // The test's own reads of the page's canvases draw Chromium's advice on readbacks; it is not the page's.
    if (message.text().startsWith('Canvas2D: Multiple readback')) return;
    if (message.type() === 'warning' || message.type() === 'error') errors.push(message.text());
  });
  await page.goto(new URL(path, base).href);
  await page.waitForFunction(ready, null, { timeout: TIMEOUT });
  return page;
}

const explorerReady = (): boolean => document.body.dataset.encodings === 'ready';

/** The largest (red - blue) and (blue - red) over a canvas's pixels, in bytes. */
async function chroma(page: Page, selector: string): Promise<{ red: number; blue: number }> {
  return page.evaluate((sel) => {
    const canvas = document.querySelector(sel)!;
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let red = 0;
    let blue = 0;
    for (let i = 0; i < data.length; i += 4) {
      red = Math.max(red, data[i]! - data[i + 2]!);
      blue = Math.max(blue, data[i + 2]! - data[i]!);
    }
    return { red, blue };
  }, selector);
}

describe('the pages for colour images with class names', () => {
  test('the explorer of a colour model shows colour, names the classes, never says digit, and starts on the principal plane', async () => {
    const errors: string[] = [];
    const page = await open(colourBase, '/', 1280, explorerReady, errors);
    const text = await page.evaluate(() => document.body.innerText);
    assert.doesNotMatch(text, /digit/i, 'colour shapes are not digits');
    assert.match(text, /16\u00d716 colour image/);
    assert.match((await page.evaluate(() => document.querySelector('#legend')!.textContent)) ?? '', /blue.*red/);
    assert.equal(await page.locator('#pad').count(), 0, 'no drawing pad for pictures');
    assert.ok(await page.locator('#image-drop').isVisible(), 'a place to drop a picture instead');

    // A 3-D latent: the principal plane first, the raw axes a choice away.
    let now = await page.evaluate(() => window.vaeExplorer.current());
    assert.equal(now.plane, 'pca');
    assert.match(now.axes[0], /^PC1 \(\d+% of variance\)$/);
    await page.selectOption('#plane-kind', 'axes');
    now = await page.evaluate(() => window.vaeExplorer.current());
    assert.equal(now.plane, 'axes');
    // The raw axes, named by the factor each tracks when the run's factors.json found one.
    assert.match(now.axes[0]!, /^z\u2081( · .+ \(r [-\u2212]?\d\.\d+\))?$/);
    assert.match(now.axes[1]!, /^z\u2082( · .+ \(r [-\u2212]?\d\.\d+\))?$/);
    await page.selectOption('#plane-kind', 'pca');
    assert.equal((await page.evaluate(() => window.vaeExplorer.current())).plane, 'pca');

    // Colour pictures are measured as pictures (brightness, hue, ...), not as glyphs.
    await page.waitForFunction(() => document.body.dataset.measures === 'ready', null, { timeout: TIMEOUT });
    const options = await page.evaluate(() => Array.from(document.querySelectorAll('#colour-by option') as unknown as ArrayLike<{ value: string }>, (o) => o.value));
    assert.deepEqual(options, ['class', ...PICTURE_MEASURES]);
    await page.selectOption('#colour-by', 'hue_deg');
    assert.match((await page.evaluate(() => document.querySelector('#legend')!.textContent)) ?? '', /hue/);
    await page.selectOption('#colour-by', 'class');

    // The class picker names the classes; the decoder draws the class it is given, and its canvas shows the colour.
    assert.deepEqual(await page.locator('#class-picker button').allTextContents(), ['blue', 'red']);
    for (const name of ['red', 'blue'] as const) {
      const decodes = await page.evaluate(() => Number(document.body.dataset.decodes ?? 0));
      await page.click(`#class-picker button:text-is("${name}")`);
      await page.waitForFunction((n) => Number(document.body.dataset.decodes ?? 0) > n, decodes);
      const seen = await chroma(page, '#decoded');
      const other = name === 'red' ? 'blue' : 'red';
      assert.ok(seen[name] > 100 && seen[other] < 40, `the decoded image of class ${name} is ${name}: ${JSON.stringify(seen)}`);
      if (name === 'red') await page.screenshot({ path: screenshotPath('explorer-colour-1280.png'), fullPage: true });
    }
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('a dropped picture is cut and resampled to the byte as the folder loader does, then encoded, placed and reconstructed', async () => {
    const errors: string[] = [];
    const page = await open(colourBase, '/', 390, explorerReady, errors);
    // Wider than the training pictures, and transparent around the shape: crop and background both matter.
    const file = join(root, 'drop', 'red', 'picture.png');
    mkdirSync(join(root, 'drop', 'red'), { recursive: true });
    writeFileSync(file, shapePicture(COLOURS.red, new Random(9), false, 57, 30, true));
    const loader = loadPictures([{ path: file, label: 0 }], { height: 16, width: 16 }, { channels: 3 });
    assert.equal(loader.channels, 3);
    // The encoder and decoder are told the class: red, what the picture shows.
    await page.click('#class-picker button:text-is("red")');
    await page.setInputFiles('#image-file', file);
    await page.waitForFunction(() => document.body.dataset.imageEncoded === '1', null, { timeout: 30_000 });
    const now = await page.evaluate(() => window.vaeExplorer.current());
    assert.ok(now.input !== null && now.input.length === 3 * 16 * 16);
    let worst = 0;
    now.input.forEach((v, i) => (worst = Math.max(worst, Math.abs(v * 255 - loader.pixels[i]!))));
    assert.ok(worst < 1e-3, `the page's bytes are the loader's: largest difference ${worst} of 255`);
    assert.equal(await page.evaluate(() => document.querySelector('#image-drop')!.dataset.crop), `${(57 - 30) / 2},0,30,30`, 'the centre 30x30 of the 57x30 picture, for a square model');
    assert.equal(now.posterior?.length, 3, 'the encoder placed it');
    assert.ok(await page.evaluate(() => document.querySelector('.scatter-overlay')!.dataset.posterior !== undefined), 'its cross is on the plane');
    const reconstruction = await chroma(page, '#reconstruction');
    assert.ok(reconstruction.red > 60, `the reconstruction of a red disc is red: ${JSON.stringify(reconstruction)}`);
    await page.locator('#image-drop').scrollIntoViewIfNeeded();
    await page.screenshot({ path: screenshotPath('explorer-colour-390.png'), fullPage: true });
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('the live page of a colour run shows colour and the class names', async () => {
    const { state } = { state: decodeCheckpoint(readFileSync(join(colourRun, 'checkpoint.safetensors')), 'checkpoint') };
    const data = runData(loadDataset(state.config.training.dataset, datasetOptionsForModel(state)), state.config.training);
    const feed = new TrainingFeed(state, data, colourRun);
    const base = await serve(colourRun, { hub: feed.hub, stop: () => false });
    for (const width of [1280, 390]) {
      const errors: string[] = [];
      const page = await open(base, '/live', width, () => document.body.dataset.snapshotStep !== undefined, errors);
      const text = await page.evaluate(() => document.body.innerText);
      assert.doesNotMatch(text, /digit/i);
      assert.match(text, /training colour images|training images/);
      assert.match((await page.evaluate(() => document.querySelector('#legend')!.textContent)) ?? '', /blue.*red/);
      const shown = await page.evaluate(() =>
        Array.from(document.querySelectorAll('#recon canvas'), (c) => {
          const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
          let most = 0;
          for (let i = 0; i < d.length; i += 4) most = Math.max(most, Math.abs(d[i]! - d[i + 2]!));
          return most;
        }),
      );
      assert.equal(shown.length, 20, 'ten test images and their reconstructions');
      assert.ok(Math.max(...shown.slice(0, 10)) > 100, 'the test images are in colour');
      await page.screenshot({ path: screenshotPath(`live-colour-${width}.png`), fullPage: true });
      assert.deepEqual(errors, []);
      await page.close();
    }
    feed.end('done', 'shown');
  });

  test('a 64x64 colour conv decoder in the page: milliseconds per frame (printed, not asserted)', async () => {
    const base = await serve(bigRun);
    const errors: string[] = [];
    const page = await open(base, '/', 1280, () => document.body.dataset.model === 'ready', errors);
    const times = await page.evaluate(() => {
      const out: number[] = [];
      for (let i = 0; i < 60; i++) {
        const z = Array.from({ length: 8 }, (_, j) => Math.sin(i + j));
        const t0 = performance.now();
        window.vaeExplorer.decode(z);
        out.push(performance.now() - t0);
      }
      return out.slice(10).sort((a, b) => a - b);
    });
    const median = times[times.length >> 1]!;
    const decoded = await page.evaluate(() => window.vaeExplorer.decode([0, 0, 0, 0, 0, 0, 0, 0]).length);
    assert.equal(decoded, 3 * 64 * 64);
    console.log(`64x64 colour conv decoder (conv-channels 32,64,128,256, hidden 256, latent 8) in headless chromium: median ${median.toFixed(1)} ms per decode over ${times.length} frames (fastest ${times[0]!.toFixed(1)} ms)`);
    assert.ok(Number.isFinite(median) && median > 0);
    assert.deepEqual(errors, []);
    await page.close();
  });
});
