/**
 * Every member of the VAE family through everything that looks at a model: `vae train`
 * writes every figure and report.html for a conditional, a Gaussian-decoder and a conv
 * model, `vae report` redraws them byte for byte, `vae serve` hands out the model and the
 * test set's encodings, the live feed reconstructs a conditional model's digits with their
 * labels, and the explorer in a real browser decodes what the library decodes: the Gaussian
 * mean by its own rule (not its output read as Bernoulli logits), and for a conditional
 * model the class picked on the page.
 * Runs are tiny (one epoch on 1000 images), trained once, in-process (test/support/cli.ts).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { decodePng } from './viz-helpers.js';
import { launchBrowser, screenshotPath } from './support/browser.js';
import { startVae, vae, type BackgroundVae } from './support/cli.js';
import { openEventStream } from './support/sse.js';
import { mnistOnce, tempRoot } from './support/tiny.js';
import { Tensor } from '../src/engine/tensor.js';
import { defaultRunConfig, runData } from '../src/train/config.js';
import { CHECKPOINT_FILE, createTrainingState, loadCheckpoint } from '../src/train/checkpoint.js';
import { FIGURE_FILES } from '../src/viz/run-figures.js';
import { decodeModelPayload } from '../src/server/model-payload.js';
import { createExplorerServer, listen, shutdown } from '../src/server/app.js';
import { RunSource } from '../src/server/run-source.js';
import { loadWebApp } from '../src/server/static-assets.js';
import { TrainingFeed } from '../src/server/training-feed.js';
import { toBytes } from '../src/server/latent-codes.js';
import { clampUnit, decodeDisplayMean } from '../src/vae/decoded-pixels.js';
import type { VAE } from '../src/vae/model.js';
import { imageFloats } from '../src/data/dataset.js';

// The page's globals, for the functions page.evaluate runs in the browser.
interface PageCanvas {
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null;
}
declare const document: { querySelector(selector: string): PageCanvas };
declare function requestAnimationFrame(callback: () => void): number;

const TINY = ['--train-size', '1000', '--test-size', '300', '--hidden', '32', '--latent', '2', '--epochs', '1'];
const VARIANTS: Record<string, string[]> = {
  conditional: ['--conditional'],
  gaussian: ['--likelihood', 'gaussian'],
  conv: ['--arch', 'conv'],
};

let root: string;
const dirs: Record<string, string> = {};
const trained: Record<string, { status: number | null; output: string }> = {};

before(async () => {
  root = tempRoot('family-views');
  for (const [name, flags] of Object.entries(VARIANTS)) {
    dirs[name] = join(root, name);
    const r = await vae(['train', ...TINY, ...flags, '--out', dirs[name]!], root);
    trained[name] = { status: r.status, output: `${r.stdout}\n${r.stderr}` };
  }
});
after(() => {
  if (root !== undefined) rmSync(root, { recursive: true, force: true });
});

/** Starts `vae serve` on a free port; resolves once it prints its URL. */
async function startServe(dir: string): Promise<{ child: BackgroundVae; url: string }> {
  const child = startVae(['serve', '--run', dir, '--port', '0'], root, /explorer at (http:\S+)/);
  return { child, url: await child.ready };
}

async function stopServe(child: BackgroundVae): Promise<void> {
  await child.stop();
}

for (const name of Object.keys(VARIANTS)) {
  test(`${name}: vae train writes every figure and the report, and vae report redraws them byte for byte`, async () => {
    const dir = dirs[name]!;
    assert.equal(trained[name]!.status, 0, trained[name]!.output);
    for (const file of FIGURE_FILES) assert.ok(existsSync(join(dir, file)), `${file} is missing`);
    for (const file of FIGURE_FILES.filter((f) => f.endsWith('.png'))) {
      const img = decodePng(readFileSync(join(dir, file)));
      assert.ok(img.variance > 50, `${file} looks blank (gray variance ${img.variance.toFixed(1)})`);
    }
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    for (const file of FIGURE_FILES.filter((f) => f.endsWith('.png'))) {
      assert.ok(html.includes(readFileSync(join(dir, file)).toString('base64')), `report.html does not embed ${file}`);
    }

    const out = join(root, `${name}-report`);
    const r = await vae(['report', '--checkpoint', dir, '--out', out], root);
    assert.equal(r.status, 0, r.stderr);
    for (const file of FIGURE_FILES) assert.ok(readFileSync(join(out, file)).equals(readFileSync(join(dir, file))), `${file} differs from what vae train wrote`);
  });
}

test('conditional figures: one row of samples per class, the manifold and the report say which class they show', () => {
  const dir = dirs.conditional!;
  const samples = decodePng(readFileSync(join(dir, 'samples.png')));
  // 8 styles across, 10 classes down, at scale 2 with 2 px between.
  assert.deepEqual([samples.width, samples.height], [8 * 56 + 9 * 2, 10 * 56 + 11 * 2]);
  const state = loadCheckpoint(dir);
  const y = runData(mnistOnce(), state.config.training).test.labels[0]!;
  const html = readFileSync(join(dir, 'report.html'), 'utf8');
  assert.match(html, new RegExp(`E\\[x\\|z, y = ${y}\\]`));
  assert.match(html, /conditional MLP VAE over 10 classes/);
  assert.match(html, /each row one class y/);
});

test('gaussian figures: the decoder density shows the standard deviation and clamped draws', () => {
  const html = readFileSync(join(dirs.gaussian!, 'report.html'), 'utf8');
  assert.match(html, /standard deviation σ = exp\(lv \/ 2\)/);
  assert.match(html, /Gaussian decoder \(learned variance, sigmoid mean\)/);
});

test('vae serve hands out each model and its encodings; the page payload round-trips the weights', async () => {
  for (const name of Object.keys(VARIANTS)) {
    assert.equal(trained[name]!.status, 0, trained[name]!.output);
    const { child, url } = await startServe(dirs[name]!);
    try {
      const res = await fetch(new URL('/api/model', url));
      assert.equal(res.status, 200, name);
      const { model } = decodeModelPayload(new Uint8Array(await res.arrayBuffer()));
      const state = loadCheckpoint(dirs[name]!);
      assert.deepEqual(model.config, state.model.config, name);
      const z = new Tensor(Float32Array.from([0.3, -1.2, 1.5, 0.4]), [2, 2]);
      const labels = model.classes > 0 ? [3, 8] : undefined;
      assert.deepEqual(model.decodeMean(z, labels), state.model.decodeMean(z, labels), `${name}: the payload decodes as the checkpoint does`);

      const enc = (await (await fetch(new URL('/api/encodings', url))).json()) as { count: number; latent: number; mu: number[]; labels: number[] };
      assert.equal(enc.count, 300, name);
      assert.equal(enc.mu.length, 600, name);
      // The server encodes as the library does, a conditional model with each image's label.
      const test = runData(mnistOnce(), state.config.training).test;
      const first = state.model.encode(new Tensor(imageFloats(test, 0), [1, 784]), model.classes > 0 ? [test.labels[0]!] : undefined).mu.data;
      assert.ok(Math.abs(enc.mu[0]! - first[0]!) < 1e-3 && Math.abs(enc.mu[1]! - first[1]!) < 1e-3, `${name}: ${enc.mu.slice(0, 2)} vs ${first}`);
    } finally {
      await stopServe(child);
    }
  }
});

test('the live feed reconstructs a conditional model\u2019s digits with their labels', async () => {
  const config = defaultRunConfig();
  Object.assign(config.model, { hidden: [16], latent: 2, classes: 10 });
  Object.assign(config.training, { trainSize: 200, testSize: 200 });
  const data = runData(mnistOnce(), config.training);
  const state = createTrainingState(config);
  const dir = join(root, 'live');
  const feed = new TrainingFeed(state, data, dir);
  const server: Server = createExplorerServer({ run: new RunSource(join(dir, CHECKPOINT_FILE), dir), web: loadWebApp(), live: { hub: feed.hub, stop: () => false } });
  const base = await listen(server, '127.0.0.1', 0);
  try {
    const stream = await openEventStream(new URL('/api/events', base));
    const first = await stream.next((e) => e.type === 'snapshot');
    stream.close();
    const events = { run: stream.events.find((e) => e.type === 'run')?.data, snapshot: first.data };
    const { run, snapshot } = events as unknown as { run: { digits: number[]; digitLabels: number[]; model: string }; snapshot: { recon: number[]; xy: number[] } };
    assert.match(run.model, /^conditional \(10 classes\) MLP VAE/);
    // The page's digits were rounded to bytes; reconstruct the exact test images instead.
    const idx = run.digitLabels.map((l) => data.test.labels.indexOf(l));
    const exact = new Float32Array(idx.length * 784);
    idx.forEach((i, k) => exact.set(imageFloats(data.test, i), k * 784));
    assert.equal(run.digits.length, exact.length);
    const expected = toBytes(clampUnit(state.model.reconstruct(new Tensor(exact, [idx.length, 784]), run.digitLabels)));
    assert.deepEqual(snapshot.recon, expected);
    assert.equal(snapshot.xy.length, 2 * 200);
  } finally {
    await shutdown(server, feed.hub);
  }
});

describe('the explorer in a browser', () => {
  let browser: Browser;
  before(async () => {
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
  });

  /** The red channel of the decoded canvas, as the page paints it (paper 251 to ink 29). */
  async function decodedRed(page: Page): Promise<number[]> {
    return page.evaluate(async () => {
      await new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r())));
      const c = document.querySelector('#decoded');
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      return Array.from({ length: c.width * c.height }, (_, i) => d[4 * i]!);
    });
  }

  function expectedRed(model: VAE, y?: number): number[] {
    const mean = decodeDisplayMean(model, new Tensor(new Float32Array(model.config.latent), [1, model.config.latent]), y === undefined ? undefined : [y]);
    return Array.from(mean, (v) => Math.round(251 - v * (251 - 29)));
  }

  function assertClose(actual: number[], expected: number[], what: string): void {
    assert.equal(actual.length, expected.length, what);
    const worst = Math.max(...actual.map((v, i) => Math.abs(v - expected[i]!)));
    assert.ok(worst <= 1, `${what}: off by up to ${worst} grey levels`);
  }

  async function open(name: string): Promise<{ page: Page; child: BackgroundVae; model: VAE; errors: string[] }> {
    assert.equal(trained[name]!.status, 0, trained[name]!.output);
    const { child, url } = await startServe(dirs[name]!);
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
    await page.waitForSelector('body[data-model="ready"][data-encodings="ready"]', { timeout: 30_000 });
    return { page, child, model: loadCheckpoint(dirs[name]!).model, errors };
  }

  test('a Gaussian decoder is shown as its mean grey levels, not as Bernoulli logits', async () => {
    const { page, child, model, errors } = await open('gaussian');
    try {
      // Before the pointer moves, the page decodes z = 0.
      assertClose(await decodedRed(page), expectedRed(model), 'decoded image at z = 0');
      assert.match(await page.locator('#decoder-hint').innerText(), /mean grey level/);
      assert.match(await page.locator('#model-facts').innerText(), /Gaussian decoder/);
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
      await stopServe(child);
    }
  });

  test('a conditional model gets a class picker that sets the class the decoder draws', async () => {
    const { page, child, model, errors } = await open('conditional');
    try {
      assert.equal(await page.locator('#class-picker button').count(), 10);
      assertClose(await decodedRed(page), expectedRed(model, 0), 'decoded as class 0');
      await page.locator('#class-picker button', { hasText: '3' }).click();
      assert.equal(await page.locator('#class-picker').getAttribute('data-y'), '3');
      const three = await decodedRed(page);
      assertClose(three, expectedRed(model, 3), 'decoded as class 3');
      assert.notDeepEqual(expectedRed(model, 3), expectedRed(model, 0), 'the class changes the image');
      assert.match(await page.locator('#z-readout').innerText(), /y = 3/);
      await page.screenshot({ path: screenshotPath('explorer-conditional.png') });
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
      await stopServe(child);
    }
  });
});
