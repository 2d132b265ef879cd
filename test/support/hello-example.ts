/**
 * The README's worked example, made the way a teacher would make it, with a script in place
 * of the class: `vae collect` started as a process, COUNT generated "hello"s
 * (test/support/hello-strokes.ts, seeded, each with its own slant, size and pen) written into
 * its page in chromium by mouse, then the README's commands on the folder it filled:
 *
 *   vae train --dataset folder:DIR --latent 2 --out RUN
 *   vae factors --checkpoint RUN
 *   vae report --checkpoint RUN
 *   vae serve --run RUN          (screenshots of the explorer at 1280 x 800 and 390 x 844)
 *
 * The pictures are copied to OUT/hello_*.png, and what was measured (training time, held-out
 * NELBO, the factor named on each axis with its r, the slant axis's r against the drawn
 * slants, where the codes sit) is printed and written to OUT/hello_example.json.
 *
 *   node dist/test/support/hello-example.js docs [COUNT]
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchBrowser } from './browser.js';
import { startVae, vaeOk } from './cli.js';
import { sendHello } from './collect-page.js';
import { helloFileName, helloSamples } from './hello-strokes.js';
import { correlation } from '../../src/train/partial-correlation.js';
import type { FactorsFile } from '../../src/train/factors.js';

declare const document: { body: { dataset: Record<string, string | undefined> }; images: ArrayLike<{ complete: boolean }> };
declare const window: { collectReady?: boolean };

/** The README's command for a class's hellos, beyond the folder: nothing, the small grey folder's defaults. */
const TRAIN_FLAGS: string[] = [];
const SEED = 14;

const out = process.argv[2] ?? 'docs';
const count = Number(process.argv[3] ?? 100);
mkdirSync(out, { recursive: true });
const root = mkdtempSync(join(tmpdir(), 'vae-hello-example-'));
// The commands run in `root` with relative paths, as a teacher's would: the run records
// folder:hello, and that is what the explorer's header shows.
const dir = join(root, 'hello');
const run = join(root, 'run');
const runArg = 'run';
const log = (s: string): void => void process.stderr.write(`hello-example: ${s}\n`);

const browser = await launchBrowser();
try {
  // 1. The class writes: one hello after another into the collect page.
  const samples = helloSamples(count, SEED);
  const slantOf = new Map<string, number>();
  const collect = startVae(['collect', '--out', 'hello', '--port', '0', '--rate', '1000'], root, /^open (http\S+)/m);
  try {
    const address = await collect.ready;
    const page = await browser.newPage({ viewport: { width: 1100, height: 700 } });
    await page.goto(address);
    await page.waitForFunction(() => window.collectReady === true);
    const started = Date.now();
    for (const [i, sample] of samples.entries()) {
      const status = await sendHello(page, sample);
      const file = helloFileName(i + 1);
      if (status !== `Saved ${file}`) throw new Error(`hello ${i + 1}: ${status}`);
      slantOf.set(file, sample.slantDeg);
    }
    log(`${count} hellos written in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    await page.close();
  } finally {
    await collect.stop();
  }
  const files = readdirSync(dir).sort();
  if (files.length !== count) throw new Error(`the folder holds ${files.length} files, not ${count}`);

  // 2. The README's commands.
  let t = performance.now();
  await vaeOk(['train', '--dataset', 'folder:hello', ...TRAIN_FLAGS, '--out', runArg], root);
  const trainCommandSeconds = (performance.now() - t) / 1000;
  const metrics = readFileSync(join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { step: number; test_nelbo: number; seconds: number });
  const trainingSeconds = metrics.reduce((s, m) => s + m.seconds, 0);
  const last = metrics[metrics.length - 1]!;
  t = performance.now();
  await vaeOk(['factors', '--checkpoint', runArg], root);
  const factorsSeconds = (performance.now() - t) / 1000;
  const factors = JSON.parse(readFileSync(join(run, 'factors.json'), 'utf8')) as FactorsFile;
  await vaeOk(['report', '--checkpoint', runArg], root);

  // Every code, matched to its file, against the slant it was drawn with.
  const codes = new Map<string, number[]>();
  for (const split of ['train', 'test']) {
    const csv = join(root, `${split}.csv`);
    await vaeOk(['encode', '--checkpoint', runArg, '--split', split, '--out', csv], root);
    const [header, ...rows] = readFileSync(csv, 'utf8').trim().split('\n');
    const columns = header!.split(',');
    for (const row of rows) {
      const cells = row.split(',');
      codes.set(cells[columns.indexOf('file')]!, [0, 1].map((d) => Number(cells[columns.indexOf(`mu_${d}`)])));
    }
  }
  const names = [...codes.keys()];
  const drawnSlant = names.map((f) => slantOf.get(f)!);
  const slantR = [0, 1].map((d) => correlation(names.map((f) => codes.get(f)![d]!), drawnSlant));
  // Where the codes sit, against the prior N(0, I) the explorer's draws come from.
  const spread = [0, 1].map((d) => {
    const v = names.map((f) => codes.get(f)![d]!);
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
    return { mean, sd, min: Math.min(...v), max: Math.max(...v) };
  });

  // 3. The explorer on the run, at a desk and on a phone.
  const serve = startVae(['serve', '--run', runArg, '--port', '0'], root, /explorer at (http\S+)/);
  try {
    const base = await serve.ready;
    for (const [name, width, height] of [['desktop', 1280, 800], ['phone', 390, 844]] as const) {
      const phone = width < 500;
      const page = await browser.newPage({ viewport: { width, height }, hasTouch: phone, isMobile: phone });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(base);
      await page.waitForFunction(() => document.body.dataset.thumbnails !== undefined && document.body.dataset.measures === 'ready' && document.body.dataset.factors === 'ready', null, { timeout: 120_000 });
      await page.waitForFunction(() => Array.from(document.images).every((img) => img.complete));
      await page.waitForTimeout(500);
      await page.screenshot({ path: join(out, `hello_explorer_${name}.png`), fullPage: !phone });
      if (errors.length > 0) throw new Error(`the explorer at ${width} px: ${errors.join('; ')}`);
      await page.close();
    }
  } finally {
    await serve.stop();
  }

  for (const figure of ['samples', 'reconstructions', 'latent_scatter', 'latent_manifold', 'latent_traversals']) {
    copyFileSync(join(run, `${figure}.png`), join(out, `hello_${figure}.png`));
  }
  const summary = {
    count,
    seed: SEED,
    command: ['vae', 'train', '--dataset', 'folder:hello', ...TRAIN_FLAGS].join(' '),
    testImages: factors.testImages,
    steps: last.step,
    trainingSeconds: Number(trainingSeconds.toFixed(1)),
    trainCommandSeconds: Number(trainCommandSeconds.toFixed(1)),
    factorsSeconds: Number(factorsSeconds.toFixed(1)),
    heldOutNelbo: Number(last.test_nelbo.toFixed(1)),
    lowestHeldOutNelbo: Number(Math.min(...metrics.map((m) => m.test_nelbo)).toFixed(1)),
    axes: factors.dimensions.map((d) => ({ dim: d.dim, kl: Number(d.kl.toFixed(2)), active: d.active, factor: d.factor, r: d.r, slope: d.slope, slopeUnits: d.slopeUnits })),
    slantRAgainstDrawn: slantR.map((r) => Number(r.toFixed(3))),
    codes: spread.map((s) => ({ mean: Number(s.mean.toFixed(2)), sd: Number(s.sd.toFixed(2)), min: Number(s.min.toFixed(2)), max: Number(s.max.toFixed(2)) })),
  };
  writeFileSync(join(out, 'hello_example.json'), `${JSON.stringify(summary, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
} finally {
  await browser.close();
  if (process.env.HELLO_EXAMPLE_KEEP === undefined) rmSync(root, { recursive: true, force: true });
  else log(`kept ${root}`);
}
