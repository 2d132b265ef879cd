/**
 * The pages on the wasm kernels, in Debian's chromium against the real server: the server hands
 * out the modules and the helper script with the headers an isolated page needs, the training
 * page trains on threaded wasm in its worker and ends where the same run on js ends (and on
 * one thread where `threads=1` says so), and the explorer decodes on wasm the same pixels as
 * on js.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { createExplorerServer, listen, shutdown } from '../src/server/app.js';
import { RunSource } from '../src/server/run-source.js';
import { loadWebApp } from '../src/server/static-assets.js';
import { launchBrowser } from './support/browser.js';
import { vae } from './support/cli.js';
import { tempRoot, writeIdxFolder } from './support/tiny.js';

declare const document: { body: { dataset: Record<string, string | undefined> }; getElementById(id: string): { textContent: string | null } | null };
declare const navigator: { hardwareConcurrency: number };
interface PageExplorer {
  kernels: string;
  decode(z: number[]): number[];
}
declare const window: { vaeExplorer: PageExplorer };

/** The machine may be shared and busy: generous, since nothing here measures speed. */
const TRAINING_TIMEOUT = 300_000;

let root: string;
let browser: Browser;
let server: Server;
let base: string;

before(async () => {
  root = tempRoot('wasm-pages');
  // A small conv model for the explorer: its decoder runs the dense and transposed-conv kernels.
  const data = writeIdxFolder(join(root, 'idx'));
  const run = join(root, 'run');
  const trained = await vae(['train', '--dataset', `idx:${data}`, '--arch', 'conv', '--hidden', '32', '--latent', '2', '--epochs', '1', '--kernels', 'js', '--out', run]);
  assert.equal(trained.status, 0, trained.stderr);
  server = createExplorerServer({ run: new RunSource(join(run, 'checkpoint.safetensors'), run), web: loadWebApp() });
  base = await listen(server, '127.0.0.1', 0);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  if (server !== undefined) await shutdown(server);
  rmSync(root, { recursive: true, force: true });
});

async function open(path: string, ready: () => boolean): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (message) => {
    if (message.type() === 'warning' || message.type() === 'error') errors.push(message.text());
  });
  await page.goto(`${base}${path}`);
  await page.waitForFunction(ready, null, { timeout: TRAINING_TIMEOUT });
  return { page, errors };
}

describe('the pages on the wasm kernels', () => {
  test('the server hands out the modules and the helper script, read-only, with the headers of an isolated page', async () => {
    for (const name of ['kernels.wasm', 'kernels-threads.wasm']) {
      const res = await fetch(`${base}wasm/${name}`);
      assert.equal(res.status, 200, name);
      assert.equal(res.headers.get('content-type'), 'application/wasm');
      assert.equal(res.headers.get('cross-origin-resource-policy'), 'same-origin');
      const bytes = new Uint8Array(await res.arrayBuffer());
      assert.deepEqual(Array.from(bytes.subarray(0, 4)), [0, 0x61, 0x73, 0x6d], `${name} is a wasm module`);
      const etag = res.headers.get('etag');
      assert.ok(etag !== null);
      assert.equal((await fetch(`${base}wasm/${name}`, { headers: { 'if-none-match': etag } })).status, 304);
      assert.ok((await fetch(`${base}wasm/${name}`, { method: 'POST' })).status >= 400, 'the modules are read-only');
    }
    assert.equal((await fetch(`${base}wasm/kernels.c`)).status, 404, 'only the two modules');
    assert.equal((await fetch(`${base}wasm/build.cjs`)).status, 404);
    const helper = await fetch(`${base}assets/wasm-browser-helper.js`);
    assert.equal(helper.status, 200);
    assert.match(helper.headers.get('content-type') ?? '', /javascript/);
    assert.equal(helper.headers.get('cross-origin-embedder-policy'), 'require-corp', 'a worker of an isolated page needs COEP of its own');
    for (const page of ['train', '']) {
      const csp = (await fetch(`${base}${page}`)).headers.get('content-security-policy') ?? '';
      assert.match(csp, /script-src 'self' 'wasm-unsafe-eval'/, `/${page} may compile wasm`);
    }
  });

  test('/train trains on threaded wasm and reaches the test loss of the same run on js', async () => {
    const run = 'latent=2&hidden=64&epochs=1&train=1000&test=500&seed=3&plane=0&autostart=1';
    const ended = (): boolean => document.body.dataset.ended !== undefined;
    const wasm = await open(`train?${run}`, ended);
    const onWasm: Record<string, string | undefined> = await wasm.page.evaluate(() => ({ ...document.body.dataset }));
    const facts = await wasm.page.evaluate(() => document.getElementById('run-facts')?.textContent ?? '');
    const cores = await wasm.page.evaluate(() => navigator.hardwareConcurrency);
    const js = await open(`train?${run}&kernels=js`, ended);
    const onJs = await js.page.evaluate(() => ({ ...document.body.dataset }));
    assert.deepEqual(wasm.errors, []);
    assert.deepEqual(js.errors, []);
    assert.equal(onWasm.ended, 'done');
    assert.equal(onJs.ended, 'done');
    const threads = Math.max(1, cores);
    assert.equal(onWasm.kernels, `wasm (${threads} thread${threads === 1 ? '' : 's'})`, 'the isolated worker runs one thread per core');
    assert.ok(facts.includes(`${onWasm.kernels} kernels`), `the page says which kernels: ${facts}`);
    assert.equal(onJs.kernels, 'js');
    const [a, b] = [Number(onWasm.lastTest), Number(onJs.lastTest)];
    assert.ok(Number.isFinite(a) && a > 50 && a < 600, `wasm test loss ${a}`);
    assert.ok(Math.abs(a - b) < 1, `test NELBO on wasm ${a} vs js ${b}`);
    await wasm.page.close();
    await js.page.close();

    const capped = await open(`train?${run}&threads=1`, ended);
    const onOne: Record<string, string | undefined> = await capped.page.evaluate(() => ({ ...document.body.dataset }));
    assert.deepEqual(capped.errors, []);
    assert.equal(onOne.kernels, 'wasm (1 thread)', 'threads=1 in the address caps the threads');
    assert.ok(Math.abs(Number(onOne.lastTest) - a) < 1e-3 * Math.abs(a), `1 thread ${onOne.lastTest} vs ${threads} threads ${a}`);
    await capped.page.close();
  });

  test('the explorer decodes on wasm the pixels it decodes on js', async () => {
    const ready = (): boolean => document.body.dataset.model === 'ready';
    const wasm = await open('', ready);
    const js = await open('?kernels=js', ready);
    assert.deepEqual(wasm.errors, []);
    assert.deepEqual(js.errors, []);
    assert.equal(await wasm.page.evaluate(() => window.vaeExplorer.kernels), 'wasm');
    assert.equal(await js.page.evaluate(() => window.vaeExplorer.kernels), 'js');
    assert.match((await wasm.page.evaluate(() => document.getElementById('timing')?.textContent)) ?? '', /on wasm kernels/);
    const codes = [[0, 0], [1.5, -0.7], [-2.2, 2.9], [0.3, 0.01]];
    let worst = 0;
    let spread = 0;
    for (const z of codes) {
      const onWasm = await wasm.page.evaluate((zz) => window.vaeExplorer.decode(zz), z);
      const onJs = await js.page.evaluate((zz) => window.vaeExplorer.decode(zz), z);
      assert.equal(onWasm.length, 28 * 28);
      assert.equal(onJs.length, onWasm.length);
      for (let i = 0; i < onJs.length; i++) {
        worst = Math.max(worst, Math.abs(onWasm[i]! - onJs[i]!));
        spread = Math.max(spread, Math.abs(onJs[i]! - onJs[0]!));
      }
    }
    assert.ok(spread > 1e-3, 'the decoded images are not flat, so the comparison means something');
    assert.ok(worst <= 1e-4, `largest pixel difference wasm vs js: ${worst}`);
    await wasm.page.close();
    await js.page.close();
  });
});
