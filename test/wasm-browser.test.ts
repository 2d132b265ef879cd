/**
 * The wasm kernels in headless Chromium (Debian's chromium, driven by playwright-core): on a
 * page's main thread they load asynchronously and run on one thread; inside a Web Worker of a
 * cross-origin isolated page (COOP/COEP headers, as `vae serve` sends) the matrix product
 * splits over helper workers. Both compute products that match float64 formulas.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];

/** Products of several shapes and transposes against float64 sums: the largest relative error. */
const CHECK = `
export function check(K) {
  let worst = 0;
  let seed = 7;
  const rand = (n) => Float32Array.from({ length: n }, () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1);
  for (const [m, n, k, ta, tb] of [[64, 200, 100, false, false], [130, 90, 77, true, false], [33, 257, 129, false, true], [5, 7, 3, true, true]]) {
    const a = rand(m * k), b = rand(k * n), c = rand(m * n);
    const want = new Float64Array(m * n);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += (ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]);
      want[i * n + j] = 1.5 * s + 0.5 * c[i * n + j];
    }
    K.gemm(ta, tb, m, n, k, 1.5, a, b, 0.5, c);
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(c[i] - want[i]) / (1 + Math.abs(want[i])));
  }
  return worst;
}`;

const PAGE = `<!doctype html><meta charset="utf-8"><script type="module">
import { loadBrowserWasmKernels } from '/dist/src/kernels/wasm-browser.js';
import { check } from '/check.js';
const base = new URL('/wasm/', location.href);
const helperUrl = new URL('/dist/src/kernels/wasm-browser-helper.js', location.href);
try {
  const main = await loadBrowserWasmKernels(base, { threads: 2, helperUrl });
  const inMain = { threads: main.threads, error: check(main.kernels) };
  const worker = new Worker('/worker.js', { type: 'module' });
  const inWorker = await new Promise((resolve) => { worker.onmessage = (e) => resolve(e.data); worker.onerror = (e) => resolve({ failed: e.message }); });
  window.result = { isolated: crossOriginIsolated, main: inMain, worker: inWorker };
} catch (err) {
  window.result = { failed: String(err) };
}
</script>`;

const WORKER = `
import { loadBrowserWasmKernels } from '/dist/src/kernels/wasm-browser.js';
import { check } from '/check.js';
try {
  const made = await loadBrowserWasmKernels(new URL('/wasm/', location.href), { threads: 2, helperUrl: new URL('/dist/src/kernels/wasm-browser-helper.js', location.href) });
  postMessage({ threads: made.threads, error: check(made.kernels) });
} catch (err) {
  postMessage({ failed: String(err) });
}`;

const TYPES: Record<string, string> = { '.js': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html' };
let server: Server;
let browser: Browser;
let origin: string;

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium)`);
  const inline: Record<string, [string, string]> = { '/': [PAGE, '.html'], '/check.js': [CHECK, '.js'], '/worker.js': [WORKER, '.js'] };
  server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    // The two headers that make a page cross-origin isolated, so it may share memory with workers.
    const headers = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
    const own = inline[path];
    if (own) {
      res.writeHead(200, { ...headers, 'Content-Type': TYPES[own[1]]! });
      res.end(own[0]);
      return;
    }
    const file = normalize(join(ROOT, path));
    const allowed = [join(ROOT, 'dist', 'src') + sep, join(ROOT, 'wasm') + sep].some((dir) => file.startsWith(dir));
    if (!allowed || !existsSync(file) || !(extname(file) in TYPES)) {
      res.writeHead(404, headers);
      res.end();
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Type': TYPES[extname(file)]! });
    res.end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  origin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
});

after(async () => {
  await browser?.close();
  server?.close();
});

test('in Chromium: the wasm kernels compute products on the main thread (1 thread) and in a worker (2 threads)', { timeout: 120_000 }, async () => {
  const page = await browser.newPage();
  await page.goto(origin + '/');
  await page.waitForFunction(() => (globalThis as unknown as { result?: unknown }).result !== undefined, null, { timeout: 90_000 });
  const result = (await page.evaluate(() => (globalThis as unknown as { result: unknown }).result)) as {
    failed?: string;
    isolated: boolean;
    main: { threads: number; error: number };
    worker: { threads: number; error: number; failed?: string };
  };
  assert.equal(result.failed, undefined, result.failed);
  assert.equal(result.isolated, true);
  assert.equal(result.main.threads, 1);
  assert.ok(result.main.error < 1e-5, `main thread: relative error ${result.main.error}`);
  assert.equal(result.worker.failed, undefined, result.worker.failed);
  assert.equal(result.worker.threads, 2);
  assert.ok(result.worker.error < 1e-5, `worker: relative error ${result.worker.error}`);
});
