/**
 * The pages behind the request guard, in a real browser (Debian's chromium, driven by
 * playwright-core), on servers bound beyond loopback, where every route needs the token: the
 * printed address opens the page, the token leaves the address bar, the cookie carries the
 * page's own requests (scripts, model, event stream, a reload, a link to the other page),
 * the pages are cross-origin isolated where the browser allows it (a secure context:
 * loopback or https), and the live page's stop button still stops training.
 *
 * Screenshots of each page at 1280 and 390 px land in dist/screenshots/guard-*.png.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, screenshotPath } from './support/browser.js';
import { loadDataset } from '../src/data/source.js';
import { defaultRunConfig, runData } from '../src/train/config.js';
import { createTrainingState, saveCheckpoint } from '../src/train/checkpoint.js';
import { train, TrainingInterrupted } from '../src/train/trainer.js';
import { appendMetrics } from '../src/train/metrics-log.js';
import { startTrainingUi } from '../src/server/training-ui.js';
import { useKernels } from '../src/engine/use-kernels.js';

// The models these pages show are trained here on the kernels the CLI would pick; the kernels
// themselves are held to each other in kernels.test and native-training.test.
useKernels('auto');

declare const document: { body: { dataset: Record<string, string | undefined> } };
declare const window: { crossOriginIsolated: boolean };

const MAIN = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

let root: string;
let browser: Browser;

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'vae-guard-web-'));
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  if (root !== undefined) rmSync(root, { recursive: true, force: true });
});

function smallConfig(epochs: number, trainSize: number) {
  const config = defaultRunConfig();
  config.model.hidden = [64];
  config.model.latent = 2;
  config.training.epochs = epochs;
  config.training.batchSize = 64;
  config.training.lr = 3e-3;
  config.training.trainSize = trainSize;
  config.training.testSize = 500;
  return config;
}

/** A page that records its errors and every request the server refused. */
async function watchedPage(width: number, height: number): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: { width, height } });
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`${r.status()} ${r.url()}`);
  });
  return { page, problems };
}

test('vae serve --host 0.0.0.0: the printed address opens the explorer, and the cookie carries it from there', { timeout: 120_000 }, async () => {
  const state = createTrainingState(smallConfig(2, 3000));
  await train(state, runData(loadDataset('mnist'), state.config.training));
  const runDir = join(root, 'run');
  mkdirSync(runDir);
  saveCheckpoint(runDir, state);

  const child: ChildProcess = spawn(process.execPath, [MAIN, 'serve', '--run', runDir, '--host', '0.0.0.0', '--port', '0'], { cwd: root });
  try {
    const printed = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.setEncoding('utf8');
      child.stdout!.on('data', (c: string) => {
        out += c;
        const m = /explorer at (\S+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.on('exit', (code) => reject(new Error(`vae serve exited ${code}: ${out}`)));
    });
    const url = new URL(printed);
    assert.ok(url.searchParams.has('token'), printed);
    for (const [width, height] of [
      [1280, 800],
      [390, 844],
    ] as const) {
      const { page, problems } = await watchedPage(width, height);
      await page.goto(printed);
      await page.waitForSelector('body[data-model="ready"][data-encodings="ready"]', { timeout: 30_000 });
      assert.deepEqual(problems, []);
      assert.equal(new URL(page.url()).searchParams.has('token'), false, 'the token left the address bar');
      await page.screenshot({ path: screenshotPath(`guard-explorer-${width}.png`), fullPage: width < 1000 });
      // A reload has no token in its address: the cookie is what lets it in.
      await page.reload();
      await page.waitForSelector('body[data-model="ready"][data-encodings="ready"]', { timeout: 30_000 });
      assert.deepEqual(problems, []);
      await page.close();
    }
    // A browser without the token gets nothing.
    const { page, problems } = await watchedPage(1280, 800);
    const bare = await page.goto(`${url.origin}/`);
    assert.equal(bare?.status(), 403);
    assert.deepEqual(problems, [`403 ${url.origin}/`]);
    // Isolation needs a secure context, which plain http has only on loopback: open it there.
    problems.length = 0;
    await page.goto(`http://127.0.0.1:${url.port}/${url.search}`);
    await page.waitForSelector('body[data-model="ready"][data-encodings="ready"]', { timeout: 30_000 });
    assert.equal(await page.evaluate(() => window.crossOriginIsolated), true, 'COOP and COEP make the page cross-origin isolated');
    assert.deepEqual(problems, []);
    await page.close();
  } finally {
    child.kill('SIGINT');
  }
});

test('the live page beyond loopback follows training over the cookie, and its stop button stops it', { timeout: 180_000 }, async () => {
  const state = createTrainingState(smallConfig(100000, 1024));
  const data = runData(loadDataset('mnist'), state.config.training);
  const dir = join(root, 'live');
  mkdirSync(dir);
  const controller = new AbortController();
  const ui = await startTrainingUi({ state, data, dir, host: '0.0.0.0', port: 0, stop: () => controller.abort(), stopping: () => controller.signal.aborted });
  assert.ok(ui.urls.every((u) => new URL(u).searchParams.has('token')), ui.urls.join(' '));
  assert.match(ui.warning ?? '', /anyone with the address above/);
  const training = train(state, data, {
    signal: controller.signal,
    onStep: (s) => ui.step(s),
    onEpoch: (m, st) => {
      appendMetrics(dir, m);
      saveCheckpoint(dir, st);
      ui.epoch(m);
    },
  }).then(
    () => 'done',
    (err: unknown) => {
      if (!(err instanceof TrainingInterrupted)) throw err;
      ui.end('stopped', `the checkpoint of epoch ${err.epoch} is in ${dir}`);
      return 'stopped';
    },
  );
  try {
    const phone = await watchedPage(390, 844);
    await phone.page.goto(ui.url);
    await phone.page.waitForFunction(() => Number(document.body.dataset.epochs ?? 0) >= 1, undefined, { timeout: 60_000 });
    await phone.page.screenshot({ path: screenshotPath('guard-live-390.png'), fullPage: true });
    assert.deepEqual(phone.problems, []);
    await phone.page.close();

    const { page, problems } = await watchedPage(1280, 800);
    await page.goto(ui.url);
    await page.waitForFunction(() => Number(document.body.dataset.epochs ?? 0) >= 2, undefined, { timeout: 60_000 });
    assert.equal(new URL(page.url()).searchParams.has('token'), false);
    await page.screenshot({ path: screenshotPath('guard-live-1280.png') });
    await page.click('#stop');
    await page.waitForSelector('body[data-ended="stopped"]', { timeout: 60_000 });
    assert.equal(await training, 'stopped');
    assert.deepEqual(problems, []);
    // The link to the explorer has no token either; the cookie opens it.
    await page.click('#nav a[href="/"]');
    await page.waitForSelector('body[data-model="ready"]', { timeout: 30_000 });
    assert.deepEqual(problems, []);
    await page.close();
  } finally {
    controller.abort();
    await training.catch(() => undefined);
    await ui.close();
  }
});
