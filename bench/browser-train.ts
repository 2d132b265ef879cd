/**
 * One epoch of training in a browser tab: `vae serve`'s server on 127.0.0.1, its /train page
 * in headless Chromium, the classic MLP (784-400-20, batch 128, Adam) on MNIST, trained by
 * the page's worker on the kernels the page picks. Prints one JSON line.
 *
 *   npm run bench:browser [-- --train-size N] [-- --kernels js] [-- --threads N]
 *
 * seconds_per_epoch is the trainer's own time of the training pass (evaluation excluded, as
 * in `npm run bench`), with the latent plane off so nothing else runs in the worker. With
 * --train-size N (for a busy machine) the epoch has N images and the time is scaled to
 * 60,000; measured_seconds is the unscaled one. The page picks threaded wasm (one thread per
 * core) in its isolated worker; --threads N caps its threads, --kernels js times its portable
 * kernels instead.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { createExplorerServer, listen, shutdown } from '../src/server/app.js';
import { RunSource } from '../src/server/run-source.js';
import { loadWebApp } from '../src/server/static-assets.js';

declare const document: { body: { dataset: Record<string, string | undefined> } };

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];
const MNIST_TRAIN = 60000;

function fail(message: string): never {
  process.stderr.write(`bench:browser: ${message}\n`);
  process.exit(2);
}

const argv = process.argv.slice(2);
const sizeAt = argv.indexOf('--train-size');
const trainSize = sizeAt >= 0 ? Number(argv[sizeAt + 1]) : MNIST_TRAIN;
if (!Number.isInteger(trainSize) || trainSize < 128 || trainSize > MNIST_TRAIN) fail(`--train-size needs a whole number from 128 to ${MNIST_TRAIN}`);
const kernelsAt = argv.indexOf('--kernels');
const kernels = kernelsAt >= 0 ? argv[kernelsAt + 1] : 'auto';
if (kernels !== 'auto' && kernels !== 'js') fail("--kernels takes auto (the page's pick) or js");
const threadsAt = argv.indexOf('--threads');
const threads = threadsAt >= 0 ? Number(argv[threadsAt + 1]) : undefined;
if (threads !== undefined && (!Number.isInteger(threads) || threads < 1)) fail('--threads needs a whole number from 1');
if (!existsSync(CHROMIUM)) fail(`${CHROMIUM} is missing (apt-get install chromium)`);

const root = mkdtempSync(join(tmpdir(), 'vae-bench-browser-'));
const server = createExplorerServer({ run: new RunSource(join(root, 'checkpoint.safetensors'), null), web: loadWebApp() });
const base = await listen(server, '127.0.0.1', 0);
const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
try {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  const query = new URLSearchParams({ latent: '20', hidden: '400', epochs: '1', batch: '128', lr: '0.001', seed: '1', test: '10000', plane: '0', autostart: '1' });
  if (trainSize < MNIST_TRAIN) query.set('train', String(trainSize));
  if (kernels === 'js') query.set('kernels', 'js');
  if (threads !== undefined) query.set('threads', String(threads));
  const started = performance.now();
  await page.goto(`${base}train?${query}`);
  await page.waitForFunction(() => document.body.dataset.ended !== undefined, null, { timeout: 0, polling: 1000 });
  const wall = (performance.now() - started) / 1000;
  const data = await page.evaluate(() => ({ ...document.body.dataset }));
  if (data.ended !== 'done') fail(`training in the page ended ${data.ended}: ${errors.join('; ')}`);
  const measured = Number(data.lastSeconds);
  process.stdout.write(
    JSON.stringify({
      seconds_per_epoch: Number(((measured * MNIST_TRAIN) / trainSize).toFixed(2)),
      kernels: data.kernels,
      model: '784-400-20, batch 128',
      train_size: trainSize,
      measured_seconds: Number(measured.toFixed(2)),
      scaled: trainSize < MNIST_TRAIN,
      test_nelbo: Number(Number(data.lastTest).toFixed(2)),
      wall_seconds: Number(wall.toFixed(1)),
      browser: `chromium ${browser.version()}`,
    }) + '\n',
  );
} finally {
  await browser.close();
  await shutdown(server);
  rmSync(root, { recursive: true, force: true });
}
