/**
 * The explorer on a class's "hello"s, in Debian's chromium against the real server: a folder of
 * 60 word-shaped grey pictures (32x128, white ink on black, no class folders) trained with a
 * 2-D latent, and `vae factors` run on it. The plane shows the whole collection, each image as
 * its own picture at its code (the server's bytes are the loader's), with dots a click away;
 * every image the page draws keeps the pictures' 4:1 shape; new samples are drawn from the
 * prior and any of them decoded; the axes carry the factors factors.json names, with the way
 * each grows; and nothing speaks of digits or of a single meaningless class. A large test set
 * still gets dots and no pictures.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { createExplorerServer, listen, shutdown } from '../src/server/app.js';
import { RunSource, SMALL_COLLECTION } from '../src/server/run-source.js';
import { loadWebApp } from '../src/server/static-assets.js';
import { loadDataset } from '../src/data/source.js';
import { decodeCheckpoint } from '../src/train/checkpoint.js';
import { runData } from '../src/train/config.js';
import { datasetOptionsForModel } from '../src/train/run-data.js';
import type { FactorsFile } from '../src/train/factors.js';
import { launchBrowser, screenshotPath } from './support/browser.js';
import { vaeOk } from './support/cli.js';
import { TINY_FLAGS, tempRoot } from './support/tiny.js';
import { writeWordFolder } from './support/word-folder.js';

interface Current {
  z: number[];
  mean: number[];
  plane: string;
  axes: [string, string];
  colourBy: string;
}
interface PageExplorer {
  current(): Current;
  planePixel(z: number[]): [number, number];
}
declare const window: { vaeExplorer: PageExplorer };
interface Element {
  clientWidth: number;
  clientHeight: number;
  width: number;
  height: number;
  hidden: boolean;
  textContent: string | null;
  dataset: Record<string, string | undefined>;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } };
  toDataURL(): string;
  scrollIntoView(o: object): void;
}
declare const document: {
  title: string;
  body: { dataset: Record<string, string | undefined>; innerText: string };
  querySelector(s: string): Element | null;
  querySelectorAll(s: string): ArrayLike<Element>;
};

const IMAGES = 60;
const TEST_FRACTION = 0.4;
const TIMEOUT = 300_000;

let root: string;
let run: string;
let browser: Browser;
let server: Server;
let base: string;
let factors: FactorsFile;

before(async () => {
  root = tempRoot('explorer-words');
  const folder = join(root, 'hello');
  writeWordFolder(folder, { count: IMAGES });
  run = join(root, 'run');
  // A held-out share large enough for `vae factors` to measure a few dozen test words; the fonts' words unaugmented, as drawn.
  await vaeOk(['train', '--dataset', `folder:${folder}`, '--image-size', '32x128', '--latent', '2', '--steps', '300', '--augment', 'none', '--test-fraction', String(TEST_FRACTION), '--out', run]);
  await vaeOk(['factors', '--checkpoint', run]);
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
  const phone = width < 500;
  const page = await browser.newPage({ viewport: { width, height: phone ? 844 : 800 }, hasTouch: phone, isMobile: phone });
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (message) => {
    if (message.type() === 'warning' || message.type() === 'error') errors.push(message.text());
  });
  await page.goto(base);
  await page.waitForFunction(() => document.body.dataset.thumbnails !== undefined && document.body.dataset.measures === 'ready' && document.body.dataset.factors === 'ready', null, {
    timeout: TIMEOUT,
  });
  return page;
}

/** Width over height of every visible element a selector finds, as laid out (borders excluded). */
function proportions(page: Page, selector: string): Promise<number[]> {
  return page.evaluate(
    (s) => Array.from(document.querySelectorAll(s), (c) => c.clientWidth / c.clientHeight).filter((r) => Number.isFinite(r)),
    selector,
  );
}

/** A canvas's pixels (RGBA), at its own resolution. */
function pixels(page: Page, selector: string): Promise<number[]> {
  return page.evaluate((s) => {
    const c = document.querySelector(s)!;
    return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data);
  }, selector);
}

describe('the explorer of a small collection of word pictures', () => {
  test('the plane shows every image of the collection as its own picture, with dots a click away', async () => {
    const errors: string[] = [];
    const page = await open(1280, errors);
    const encodings = (await (await fetch(`${base}api/encodings`)).json()) as { count: number; heldOut: number; mu: number[] };
    const testCount = Math.round(IMAGES * TEST_FRACTION);
    assert.equal(encodings.count, IMAGES, 'a collection this small is shown whole, not only its test images');
    assert.equal(encodings.heldOut, testCount);
    assert.equal(await page.evaluate(() => document.body.dataset.thumbnails), String(IMAGES), 'one picture per encoded image');
    assert.equal(await page.evaluate(() => document.querySelector('.scatter-base')!.dataset.pictures), String(IMAGES), 'all of them drawn on the plane');
    assert.match((await page.evaluate(() => document.querySelector('#plane-note')!.textContent)) ?? '', new RegExp(`all ${IMAGES} images.*${IMAGES - testCount} trained on, ${testCount} held out`));
    // Its length was given in steps, and the page says so (300 steps make 300 epochs of one batch here).
    assert.match((await page.evaluate(() => document.querySelector('#model-facts')!.textContent)) ?? '', /trained 300 steps on folder:/);

    // The pictures are the run's own images, in the order of the encodings: test ones, then the rest.
    const res = await fetch(`${base}api/thumbnails`);
    assert.equal(res.status, 200);
    assert.deepEqual(['count', 'channels', 'height', 'width'].map((h) => res.headers.get(`x-thumbnail-${h}`)), [String(IMAGES), '1', '32', '128']);
    const served = new Uint8Array(await res.arrayBuffer());
    const state = decodeCheckpoint(readFileSync(join(run, 'checkpoint.safetensors')), run);
    const data = runData(loadDataset(state.config.training.dataset, datasetOptionsForModel(state)), state.config.training);
    assert.equal(data.test.count, testCount);
    assert.deepEqual(served, Uint8Array.from([...data.test.pixels, ...data.train.pixels]));

    // Dots instead, and back.
    await page.click('#show-as button[data-show="dots"]');
    assert.equal(await page.evaluate(() => document.querySelector('.scatter-base')!.dataset.pictures), undefined, 'dots, no pictures');
    assert.equal(await page.locator('#show-as button[data-show="dots"][aria-pressed="true"]').count(), 1);
    await page.click('#show-as button[data-show="pictures"]');
    assert.equal(await page.evaluate(() => document.querySelector('.scatter-base')!.dataset.pictures), String(IMAGES));

    // The pointer over an image's code shows that picture enlarged, and decodes the point it is at.
    await page.evaluate(() => document.querySelector('.plane-card')!.scrollIntoView({ block: 'start' }));
    const overlay = (await page.locator('.scatter-overlay').boundingBox())!;
    const code = encodings.mu.slice(0, 2);
    const [px, py] = await page.evaluate((z) => window.vaeExplorer.planePixel(z), code);
    await page.mouse.move(overlay.x + px, overlay.y + py);
    await page.waitForFunction(() => Number(document.querySelector('.scatter-overlay')!.dataset.pictureUnder ?? -1) >= 0);
    const now = await page.evaluate(() => window.vaeExplorer.current());
    const [qx, qy] = await page.evaluate((z) => window.vaeExplorer.planePixel(z), now.z);
    assert.ok(Math.hypot(qx - px, qy - py) < 1.5, `the decoded point is at the image's code: (${qx}, ${qy}) vs (${px}, ${py}) px`);
    await page.screenshot({ path: screenshotPath('explorer-words-1280.png') });
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('every image the page draws keeps the pictures\' 4:1 shape', async () => {
    const errors: string[] = [];
    const page = await open(1280, errors);
    // Fill the interpolation strip: two clicks on the plane.
    const overlay = (await page.locator('.scatter-overlay').boundingBox())!;
    for (const [fx, fy] of [
      [0.3, 0.3],
      [0.7, 0.7],
    ]) {
      await page.mouse.click(overlay.x + fx! * overlay.width, overlay.y + fy! * overlay.height);
    }
    await page.waitForSelector('#strip.filled');
    // A word written on the wide pad: its ink cut out and fitted into the model's frame, as a collected sample is, then encoded.
    await page.locator('#pad').scrollIntoViewIfNeeded();
    const pad = (await page.locator('#pad').boundingBox())!;
    assert.ok(Math.abs(pad.width / pad.height - 4) < 0.1, `the writing pad is 4:1: ${pad.width}x${pad.height}`);
    await page.mouse.move(pad.x + 0.1 * pad.width, pad.y + 0.5 * pad.height);
    await page.mouse.down();
    for (let k = 1; k <= 16; k++) await page.mouse.move(pad.x + (0.1 + 0.05 * k) * pad.width, pad.y + (k % 2 === 0 ? 0.35 : 0.65) * pad.height, { steps: 3 });
    await page.mouse.up();
    await page.waitForFunction(() => (window.vaeExplorer.current() as unknown as { posterior: number[] | null }).posterior !== null);
    const written = (await page.evaluate(() => window.vaeExplorer.current())) as unknown as { input: number[]; posterior: number[] };
    assert.equal(written.input.length, 32 * 128);
    const columns = Array.from({ length: 128 }, (_, x) => Array.from({ length: 32 }, (_, y) => written.input[y * 128 + x]!).some((v) => v > 0.5));
    const rows = Array.from({ length: 32 }, (_, y) => written.input.slice(y * 128, (y + 1) * 128).some((v) => v > 0.5));
    const span = (on: boolean[]): [number, number] => [on.indexOf(true), on.lastIndexOf(true)];
    const [x0, x1] = span(columns);
    const [y0, y1] = span(rows);
    assert.ok(x1 - x0 >= 100, `the zigzag, wider than 4:1, fills the frame's width: columns ${x0}..${x1}`);
    assert.ok(Math.abs((y0 + y1) / 2 - 15.5) <= 2, `and is centred in its height: rows ${y0}..${y1}`);
    assert.equal(written.posterior.length, 2, 'the encoder placed it');
    const decoded = await page.evaluate(() => {
      const c = document.querySelector('#decoded')!;
      return { width: c.width, height: c.height, box: c.clientWidth / c.clientHeight, cssWidth: c.clientWidth };
    });
    assert.deepEqual([decoded.width, decoded.height], [128, 32], 'the decoder draws 128x32 pictures');
    assert.ok(Math.abs(decoded.box - 4) < 0.05, `the decoded picture is shown 4:1, not squashed: ${decoded.box.toFixed(3)}`);
    assert.ok(decoded.cssWidth >= 240, `and large enough to read: ${decoded.cssWidth} px wide`);
    for (const selector of ['#variations canvas', '#strip canvas', '#prior-samples canvas', '#reconstruction', '#pad-input']) {
      const ratios = await proportions(page, selector);
      assert.ok(ratios.length > 0, `${selector} is on the page`);
      for (const r of ratios) assert.ok(Math.abs(r - 4) < 0.25, `${selector} is shown 4:1: ${r.toFixed(2)}`);
    }
    // The traversals figure keeps its own proportions too.
    await page.waitForFunction(() => (document.querySelector('#traversals-img') as unknown as { complete: boolean; naturalWidth: number }).naturalWidth > 0);
    const traversal = await page.evaluate(() => {
      const img = document.querySelector('#traversals-img') as unknown as { naturalWidth: number; naturalHeight: number; clientWidth: number; clientHeight: number };
      return [img.naturalWidth / img.naturalHeight, img.clientWidth / img.clientHeight];
    });
    assert.ok(Math.abs(traversal[0]! - traversal[1]!) < 0.02 * traversal[0]!, `latent_traversals.png as drawn: ${traversal.join(' vs ')}`);
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('new samples are drawn from the prior on request, and any of them can be decoded', async () => {
    const errors: string[] = [];
    const page = await open(1280, errors);
    assert.equal(await page.evaluate(() => document.querySelector('#prior-samples')!.dataset.draws), '1', 'a first draw when the page opens');
    const first = await page.evaluate(() => Array.from(document.querySelectorAll('#prior-samples canvas'), (c) => c.toDataURL()));
    assert.equal(first.length, 12);
    assert.equal(new Set(first).size, 12, 'twelve different samples');
    await page.click('#draw-prior');
    assert.equal(await page.evaluate(() => document.querySelector('#prior-samples')!.dataset.draws), '2');
    const second = await page.evaluate(() => Array.from(document.querySelectorAll('#prior-samples canvas'), (c) => c.toDataURL()));
    assert.ok(second.every((s, i) => s !== first[i]), 'a new draw gives new samples');
    // Clicking a sample decodes its point: the decoder's picture is the sample's.
    const decodes = await page.evaluate(() => Number(document.body.dataset.decodes ?? 0));
    await page.click('#prior-samples figure:nth-child(3)');
    await page.waitForFunction((n) => Number(document.body.dataset.decodes ?? 0) > n, decodes);
    const sample = await pixels(page, '#prior-samples figure:nth-child(3) canvas');
    const decoded = await pixels(page, '#decoded');
    assert.equal(sample.length, 128 * 32 * 4);
    let worst = 0;
    sample.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - decoded[i]!))));
    assert.ok(worst <= 2, `the decoded picture is the third sample: largest difference ${worst} of 255`);
    const z = (await page.evaluate(() => window.vaeExplorer.current())).z;
    assert.ok(z.some((v) => v !== 0), 'the point moved to the sample drawn from the prior');
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('the axes are named by the factors factors.json finds on them, with the way each grows; no digits, no lone class', async () => {
    const errors: string[] = [];
    const page = await open(1280, errors);
    const { axes } = await page.evaluate(() => window.vaeExplorer.current());
    const named: string[] = [];
    for (const d of [0, 1]) {
      const found = factors.dimensions.find((x) => x.dim === d)!;
      if (!found.active || !found.factor) {
        assert.equal(axes[d], `z${'\u2081\u2082'[d]}`);
        continue;
      }
      const word = found.factor.replace(/_deg$/, '');
      const arrowed = found.r! < 0 ? `\u2190 ${word}` : `${word} \u2192`;
      assert.ok(axes[d]!.includes(arrowed), `axis ${d + 1} "${axes[d]}" says "${arrowed}" (r ${found.r})`);
      named.push(found.factor);
    }
    // This collection's words vary most in slant, and vae factors finds it on one of the two axes.
    assert.ok(named.includes('slant_deg'), `factors.json names slant on an axis: ${JSON.stringify(factors.dimensions.map((x) => [x.dim, x.factor, x.r]))}`);
    assert.ok(axes.some((a) => a.includes('slant')));

    const text = await page.evaluate(() => `${document.title}\n${document.body.innerText}`);
    assert.doesNotMatch(text, /digit/i, 'words are not digits');
    assert.match(text, /32\u00d7128 image/);
    assert.equal(await page.evaluate(() => document.querySelector('#legend')!.textContent), '', 'no legend of a single class');
    const options = await page.evaluate(() => Array.from(document.querySelectorAll('#colour-by option'), (o) => o.textContent));
    assert.equal(options[0], 'nothing', 'the frames are not coloured by a class the data do not have');
    assert.ok(options.includes('slant'));
    await page.selectOption('#colour-by', 'slant_deg');
    assert.match((await page.evaluate(() => document.querySelector('#legend')!.textContent)) ?? '', /slant/);
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('on a phone a finger on a picture enlarges it, and the decoded word floats in view at its shape', async () => {
    const errors: string[] = [];
    const page = await open(390, errors);
    await page.screenshot({ path: screenshotPath('explorer-words-390.png') });
    await page.evaluate(() => document.querySelector('.scatter')!.scrollIntoView({ block: 'center' }));
    const box = (await page.locator('.scatter-overlay').boundingBox())!;
    const encodings = (await (await fetch(`${base}api/encodings`)).json()) as { mu: number[] };
    const [px, py] = await page.evaluate((z) => window.vaeExplorer.planePixel(z), encodings.mu.slice(2, 4));
    const cdp = await page.context().newCDPSession(page);
    const touch = [{ x: box.x + px, y: box.y + py }];
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: touch });
    await page.waitForFunction(() => !document.querySelector('#float-preview')!.hidden && Number(document.querySelector('.scatter-overlay')!.dataset.pictureUnder ?? -1) >= 0);
    const [ratio] = await proportions(page, '#floating-decoded');
    assert.ok(Math.abs(ratio! - 4) < 0.1, `the floating decoded word is 4:1: ${ratio}`);
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
    await page.waitForFunction(() => document.querySelector('#float-preview')!.hidden);
    assert.deepEqual(errors, []);
    await page.close();
  });
});

test('a run on more than a small collection shows its test set as dots: the server sends no pictures', async () => {
  const dir = join(tempRoot('explorer-words-large'), 'run');
  try {
    await vaeOk(['train', '--dataset', 'mnist', ...TINY_FLAGS, '--out', dir]);
    const big = createExplorerServer({ run: new RunSource(join(dir, 'checkpoint.safetensors'), dir), web: loadWebApp() });
    const url = await listen(big, '127.0.0.1', 0);
    try {
      const encodings = (await (await fetch(`${url}api/encodings`)).json()) as { count: number; heldOut: number };
      assert.ok(256 + 128 > SMALL_COLLECTION);
      assert.deepEqual([encodings.count, encodings.heldOut], [128, 128], 'the test images only');
      const res = await fetch(`${url}api/thumbnails`);
      assert.equal(res.status, 404);
      assert.match(((await res.json()) as { error: string }).error, /at most 300 images/);
    } finally {
      await shutdown(big);
    }
  } finally {
    rmSync(join(dir, '..'), { recursive: true, force: true });
  }
});
