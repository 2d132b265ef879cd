/**
 * What the training page costs the cores it trains on: the worker reports its steps a few
 * times a second, not once a step, yet the page still learns every step's loss; the progress
 * bars move without a transition (an animated width is a layout and a paint every frame).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchBrowser } from './support/browser.js';
import { createExplorerServer, listen, shutdown } from '../src/server/app.js';
import { RunSource } from '../src/server/run-source.js';
import { loadWebApp } from '../src/server/static-assets.js';

// The page's globals, for the functions page.evaluate and addInitScript run in the browser.
declare const document: { body: { dataset: Record<string, string | undefined> }; getElementById(id: string): object };
declare const getComputedStyle: (element: object) => { transitionDuration: string };
declare const window: { stepReports: Array<{ step: number; losses: Array<[number, number]> }> };
declare class Worker {
  addEventListener(type: string, listener: (event: { data: { type: string; step: number; losses: Array<[number, number]> } }) => void): void;
}

let root: string;
let browser: Browser;
let server: Server;
let base: string;

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'vae-train-reports-'));
  server = createExplorerServer({ run: new RunSource(join(root, 'none', 'checkpoint.safetensors'), null), web: loadWebApp() });
  base = await listen(server, '127.0.0.1', 0);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  if (server !== undefined) await shutdown(server);
  rmSync(root, { recursive: true, force: true });
});

test('the worker reports steps a few times a second, every step loss reaches the page, and the bars have no transition', { timeout: 300_000 }, async () => {
  const page = await browser.newPage();
  // Every message the page's worker sends, as the page sees it.
  await page.addInitScript(() => {
    window.stepReports = [];
    const Original = Worker;
    (globalThis as unknown as { Worker: unknown }).Worker = class extends Original {
      constructor(...args: unknown[]) {
        super(...(args as []));
        this.addEventListener('message', (event) => {
          if (event.data.type === 'step') window.stepReports.push({ step: event.data.step, losses: event.data.losses });
        });
      }
    };
  });
  // Tiny steps, many of them: 2 epochs of 3000 images in batches of 8 with 16 hidden units.
  await page.goto(`${base}train?latent=2&hidden=16&epochs=2&batch=8&train=3000&test=200&plane=0&autostart=1`);
  await page.waitForFunction(() => document.body.dataset.ended !== undefined, null, { timeout: 280_000 });
  const ended = await page.evaluate(() => document.body.dataset.ended);
  assert.equal(ended, 'done');
  const steps = 2 * Math.ceil(3000 / 8);
  assert.equal(Number(await page.evaluate(() => document.body.dataset.steps)), steps, 'the page counted every step');
  const reports = await page.evaluate(() => window.stepReports);
  const seen = reports.flatMap((r) => r.losses.map(([step]) => step));
  assert.deepEqual(seen, Array.from({ length: steps }, (_, i) => i + 1), 'each step loss arrives once, in order');
  assert.ok(reports.every((r) => r.losses.every(([, loss]) => Number.isFinite(loss) && loss > 0)));
  assert.ok(reports.every((r) => r.step === r.losses[r.losses.length - 1]![0]), 'a report carries the progress of its last step');
  // Unless a step of this tiny model took over a tenth of a second, reports gathered steps.
  assert.ok(reports.length < steps / 4, `${reports.length} reports for ${steps} steps`);
  const transitions = await page.evaluate(() => ['bar-epoch', 'bar-run'].map((id) => getComputedStyle(document.getElementById(id)).transitionDuration));
  assert.deepEqual(transitions, ['0s', '0s']);
  await page.close();
});
