/**
 * One epoch of training in a browser tab: `vae serve`'s server on 127.0.0.1, its /train page
 * in headless Chromium, the classic MLP (784-400-20, batch 128, Adam) on MNIST, trained by
 * the page's worker on the kernels the page picks. Prints one JSON line.
 *
 *   npm run bench:browser [-- --train-size N] [-- --kernels js] [-- --threads N]
 *                         [-- --js-flags "V8 FLAGS"] [-- --trace FILE]
 *
 * seconds_per_epoch is the trainer's own time of the training pass (evaluation excluded, as
 * in `npm run bench`), with the latent plane off so nothing else runs in the worker. With
 * --train-size N (for a busy machine) the epoch has N images and the time is scaled to
 * 60,000; measured_seconds is the unscaled one. The page picks threaded wasm (one thread per
 * core) in its isolated worker; --threads N caps its threads, --kernels js times its portable
 * kernels instead. --js-flags hands V8 flags to Chromium (e.g. "--no-liftoff" to compile the
 * wasm with the optimizing tier only); --trace FILE writes a Chrome trace of the run (V8's
 * sampling profiler in every thread, and the page's frames), for DevTools or Perfetto.
 *
 * browser_cpu_seconds is the CPU time every thread of the browser spent between the worker's
 * first and last step report (Linux /proc; absent elsewhere): with the trainer's two threads,
 * what the page's drawing and the browser took from the same cores.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
const jsFlagsAt = argv.indexOf('--js-flags');
const jsFlags = jsFlagsAt >= 0 ? argv[jsFlagsAt + 1] ?? '' : '';
const traceAt = argv.indexOf('--trace');
const trace = traceAt >= 0 ? argv[traceAt + 1] : undefined;
if (trace !== undefined && (trace === '' || trace.startsWith('--'))) fail('--trace needs a file name');
if (!existsSync(CHROMIUM)) fail(`${CHROMIUM} is missing (apt-get install chromium)`);

/** CPU seconds of every process descending from this one (the browser's), from /proc; null off Linux. */
function descendantsCpuSeconds(): number | null {
  if (!existsSync('/proc/self/stat')) return null;
  const parent = new Map<number, number>();
  const cpu = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(entry), Number(fields[1]));
      // utime and stime, in clock ticks (100 a second on Linux).
      cpu.set(Number(entry), (Number(fields[11]) + Number(fields[12])) / 100);
    } catch {
      // the process ended meanwhile
    }
  }
  let total = 0;
  for (const [pid, seconds] of cpu) {
    for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p)) {
      if (p === process.pid) {
        total += seconds;
        break;
      }
    }
  }
  return total;
}

const root = mkdtempSync(join(tmpdir(), 'vae-bench-browser-'));
const server = createExplorerServer({ run: new RunSource(join(root, 'checkpoint.safetensors'), null), web: loadWebApp() });
const base = await listen(server, '127.0.0.1', 0);
const browser = await chromium.launch({ executablePath: CHROMIUM, args: jsFlags === '' ? FLAGS : [...FLAGS, `--js-flags=${jsFlags}`] });
try {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  const query = new URLSearchParams({ latent: '20', hidden: '400', epochs: '1', batch: '128', lr: '0.001', seed: '1', test: '10000', plane: '0', autostart: '1' });
  if (trainSize < MNIST_TRAIN) query.set('train', String(trainSize));
  if (kernels === 'js') query.set('kernels', 'js');
  if (threads !== undefined) query.set('threads', String(threads));
  if (trace !== undefined) {
    await browser.startTracing(page, { categories: ['disabled-by-default-v8.cpu_profiler', 'v8', 'devtools.timeline', 'disabled-by-default-devtools.timeline'] });
  }
  const started = performance.now();
  await page.goto(`${base}train?${query}`);
  // The browser's CPU time from the first step report to the epoch's end (evaluation included).
  await page.waitForFunction(() => document.body.dataset.steps !== undefined || document.body.dataset.ended !== undefined, null, { timeout: 0, polling: 50 });
  const cpuAtFirstStep = descendantsCpuSeconds();
  await page.waitForFunction(() => document.body.dataset.ended !== undefined, null, { timeout: 0, polling: 1000 });
  const cpuAtEnd = descendantsCpuSeconds();
  const wall = (performance.now() - started) / 1000;
  const data = await page.evaluate(() => ({ ...document.body.dataset }));
  if (trace !== undefined) writeFileSync(trace, await browser.stopTracing());
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
      ...(cpuAtFirstStep !== null && cpuAtEnd !== null ? { browser_cpu_seconds: Number((cpuAtEnd - cpuAtFirstStep).toFixed(2)) } : {}),
      ...(jsFlags === '' ? {} : { js_flags: jsFlags }),
      browser: `chromium ${browser.version()}`,
    }) + '\n',
  );
} finally {
  await browser.close();
  await shutdown(server);
  rmSync(root, { recursive: true, force: true });
}
