/**
 * The explainer's exercise from end to end, as a class would do it: `vae collect` started as a
 * process, 60 "hello"s written into its page in chromium by mouse (each a generated pen path
 * with a slant, size and pen of its own, so the test knows every sample's slant), the folder
 * trained on with augmentation, and `vae factors` asked what the two latent axes mean. One
 * axis must be named slant, and the codes of that axis (from `vae encode`, matched to the
 * files by name, both splits) must follow the slants the test drew with |r| >= 0.6.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchBrowser } from './support/browser.js';
import { startVae, vaeOk } from './support/cli.js';
import { drawHello } from './support/collect-page.js';
import { HELLO_TRAIN_FLAGS, helloFileName, helloSamples } from './support/hello-strokes.js';
import { correlation } from '../src/train/partial-correlation.js';
import { tempRoot } from './support/tiny.js';

declare const document: { querySelector(s: string): { textContent: string | null } | null };
declare const window: { collectReady?: boolean };

const COUNT = Number(process.env.HELLO_E2E_COUNT ?? 60);
const root = tempRoot('hello-e2e');
let browser: Browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  rmSync(root, { recursive: true, force: true });
});

test('60 hellos written in the collect page: vae factors finds slant on one of the two axes, |r| >= 0.6 against the drawn slants', { timeout: 600_000 }, async () => {
  const dir = join(root, 'hello');
  const collect = startVae(['collect', '--out', dir, '--port', '0', '--rate', '1000'], root, /^open (http\S+)/m);
  const samples = helloSamples(COUNT, 14);
  const slantOf = new Map<string, number>();
  try {
    const address = await collect.ready;
    const page = await browser.newPage({ viewport: { width: 1100, height: 700 } });
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(address);
    await page.waitForFunction(() => window.collectReady === true);
    for (const [i, sample] of samples.entries()) {
      await drawHello(page, sample);
      const file = helloFileName(i + 1);
      await page.click('#send');
      await page.waitForFunction((f) => document.querySelector('#status')?.textContent === `Saved ${f}`, file, { timeout: 20_000 });
      slantOf.set(file, sample.slantDeg);
      if (process.env.HELLO_E2E_DEBUG) process.stderr.write(`sent ${file} ${Date.now()}\n`);
    }
    assert.deepEqual(problems, []);
    await page.close();
  } finally {
    assert.equal(await collect.stop(), 0);
  }
  assert.deepEqual(readdirSync(dir).sort(), [...slantOf.keys()].sort());

  const run = join(root, 'run');
  await vaeOk(['train', '--dataset', `folder:${dir}`, ...HELLO_TRAIN_FLAGS, '--out', run], root);
  await vaeOk(['factors', '--checkpoint', run], root);
  const factors = JSON.parse(readFileSync(join(run, 'factors.json'), 'utf8')) as { dimensions: { dim: number; active: boolean; factor?: string }[] };
  const slantAxes = factors.dimensions.filter((d) => d.active && d.factor === 'slant_deg').map((d) => d.dim);
  assert.ok(slantAxes.length > 0, `no axis named slant: ${JSON.stringify(factors.dimensions)}`);

  const codes = new Map<string, number[]>();
  for (const split of ['train', 'test']) {
    const out = join(root, `${split}.csv`);
    await vaeOk(['encode', '--checkpoint', run, '--split', split, '--out', out], root);
    const [header, ...rows] = readFileSync(out, 'utf8').trim().split('\n');
    const columns = header!.split(',');
    for (const row of rows) {
      const cells = row.split(',');
      codes.set(cells[columns.indexOf('file')]!, [Number(cells[columns.indexOf('mu_0')]), Number(cells[columns.indexOf('mu_1')])]);
    }
  }
  assert.equal(codes.size, COUNT);
  const files = [...codes.keys()];
  const drawn = files.map((f) => slantOf.get(f)!);
  const rs = slantAxes.map((d) => correlation(files.map((f) => codes.get(f)![d]!), drawn));
  process.stdout.write(`# hello e2e: slant named on z${slantAxes.join(', z')}; r against the drawn slants ${rs.map((r) => r.toFixed(3)).join(', ')}\n`);
  assert.ok(Math.max(...rs.map(Math.abs)) >= 0.6, `|r| between the slant axis and the drawn slants: ${rs.map((r) => r.toFixed(3)).join(', ')}`);
});
