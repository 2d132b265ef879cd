/**
 * The figures end to end: `vae train` writes every figure and records latent snapshots, `vae
 * report` redraws the same bytes from the checkpoint, a resumed run ends with the same files
 * as one that never stopped, and bad input gets one line and exit code 2. The CLI runs
 * in-process (test/support/cli.ts). Runs are tiny
 * (2000 training images, hidden 64): three short trainings and a few reports.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCanvas, loadImage } from '@napi-rs/canvas';
import { decodePng, parseGif } from './viz-helpers.js';
import { assertUserFailure, vae, vaeOk, type CliResult } from './support/cli.js';
import { decodeSnapshots, SNAPSHOTS_FILE } from '../src/train/snapshots.js';
import { decodeCheckpoint } from '../src/train/checkpoint.js';
import { FIGURE_FILES } from '../src/viz/run-figures.js';

const TINY = ['--train-size', '2000', '--test-size', '500', '--hidden', '64', '--latent', '2'];
const PNGS = FIGURE_FILES.filter((f) => f.endsWith('.png'));

let root: string;
/** A finished two-epoch run. */
let runA: string;

const run = (args: string[]): Promise<CliResult> => vae(args, root);
const runOk = (args: string[]): Promise<CliResult> => vaeOk(args, root);

function read(dir: string, file: string): Buffer {
  return readFileSync(join(dir, file));
}

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'vae-report-test-'));
  runA = join(root, 'a');
  await runOk(['train', ...TINY, '--epochs', '2', '--out', runA]);
});

after(() => {
  if (root !== undefined) rmSync(root, { recursive: true, force: true });
});

test('vae train writes every figure: PNGs of the expected size that are not blank, a looping GIF, one report', async () => {
  const expected: Record<string, [number, number]> = {
    'samples.png': [8 * 56 + 9 * 2, 8 * 56 + 9 * 2], // 8 x 8 digits at scale 2, 2 px apart
    'reconstructions.png': [16 * 56 + 17 * 2, 2 * 56 + 3 * 2], // 16 originals above 16 reconstructions
    'latent_scatter.png': [860, 720],
    'latent_manifold.png': [100 + 20 * 56 + 40, 90 + 20 * 56 + 80], // 20 x 20 digits at scale 2 inside axes
    'loss_curves.png': [1240, 500],
  };
  for (const file of PNGS) {
    assert.ok(existsSync(join(runA, file)), `${file} is missing`);
    const img = decodePng(read(runA, file));
    if (expected[file]) assert.deepEqual([img.width, img.height], expected[file], file);
    else assert.ok(img.width >= 600 && img.height >= 400, `${file} is only ${img.width}x${img.height}`);
    assert.ok(img.variance > 50, `${file} looks blank (gray variance ${img.variance.toFixed(1)})`);
  }

  const snapshots = decodeSnapshots(read(runA, SNAPSHOTS_FILE), SNAPSHOTS_FILE);
  const state = decodeCheckpoint(read(runA, 'checkpoint.safetensors'), 'checkpoint');
  assert.deepEqual(snapshots.snapshots.map((s) => s.step), [0, 2, 4, 8, 12, 16, 32]);
  assert.equal(snapshots.snapshots.at(-1)!.step, state.optimizer.step, 'the last snapshot is the checkpoint');
  assert.equal(snapshots.count, 500);
  // Before training the untrained encoder puts every digit near the origin; training spreads them.
  const spread = (mu: Float32Array): number => Math.sqrt(mu.reduce((s, v) => s + v * v, 0) / mu.length);
  assert.ok(spread(snapshots.snapshots[0]!.mu) < 0.5 * spread(snapshots.snapshots.at(-1)!.mu));

  const gif = read(runA, 'latent_evolution.gif');
  const parsed = parseGif(gif);
  assert.equal(parsed.frames, snapshots.snapshots.length);
  assert.ok(parsed.frames >= 6 && parsed.loops);
  const img = await loadImage(gif);
  const canvas = createCanvas(img.width, img.height);
  canvas.getContext('2d').drawImage(img, 0, 0);
  assert.deepEqual([img.width, img.height], [parsed.width, parsed.height]);

  const html = read(runA, 'report.html').toString('utf8');
  for (const file of FIGURE_FILES.filter((f) => f !== 'report.html')) {
    const mime = file.endsWith('.gif') ? 'image/gif' : 'image/png';
    assert.ok(html.includes(`data:${mime};base64,${read(runA, file).toString('base64')}"`), `report.html does not embed ${file}`);
  }
  // The hidden factors section adds four: the traversals and a 2-D model's three measure scatters.
  assert.equal(html.match(/<figcaption>/g)?.length, FIGURE_FILES.length - 1 + 4, 'one caption per figure');
  assert.match(html, /MLP VAE 784–64–2/);
  const metrics = readFileSync(join(runA, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { test_nelbo: number });
  assert.ok(html.includes(`${metrics.at(-1)!.test_nelbo.toFixed(2)} nats`), 'the final test NELBO is in the report');
  assert.doesNotMatch(html, /<script|src="http/);
});

test('vae report redraws the same bytes as training, twice; another seed changes only the random figures', async () => {
  const out1 = join(root, 'report-1');
  const out2 = join(root, 'report-2');
  const out3 = join(root, 'report-seed');
  const r = await runOk(['report', '--checkpoint', runA, '--out', out1]);
  assert.match(r.stdout, /wrote 15 files/); // the figures, report.html, the four hidden-factor figures and factors.json
  await runOk(['report', '--checkpoint', join(runA, 'checkpoint.safetensors'), '--out', out2, '--seed', '0']);
  for (const file of FIGURE_FILES) {
    assert.ok(read(out1, file).equals(read(runA, file)), `${file} differs from what vae train wrote`);
    assert.ok(read(out2, file).equals(read(out1, file)), `${file} differs between two vae report runs`);
  }
  await runOk(['report', '--checkpoint', runA, '--out', out3, '--seed', '7']);
  for (const file of ['samples.png', 'decoder_density.png', 'latent_marginals.png']) {
    assert.ok(!read(out3, file).equals(read(out1, file)), `${file} should depend on the seed`);
  }
  for (const file of ['latent_scatter.png', 'latent_manifold.png', 'latent_evolution.gif', 'reconstructions.png', 'loss_curves.png']) {
    assert.ok(read(out3, file).equals(read(out1, file)), `${file} should not depend on the seed`);
  }
});

test('a resumed run ends with the same snapshots and figures, even after a kill between snapshots and checkpoint', async () => {
  const runB = join(root, 'b');
  await runOk(['train', ...TINY, '--epochs', '1', '--out', runB]);
  // As if the run had been killed after saving epoch 2's snapshots but before its checkpoint.
  copyFileSync(join(runA, SNAPSHOTS_FILE), join(runB, SNAPSHOTS_FILE));
  const early = join(root, 'b-report');
  await runOk(['report', '--checkpoint', runB, '--out', early]);
  assert.equal(parseGif(read(early, 'latent_evolution.gif')).frames, 6, 'snapshots past the checkpoint are not drawn');

  await runOk(['train', '--resume', runB, '--epochs', '2']);
  assert.ok(read(runB, SNAPSHOTS_FILE).equals(read(runA, SNAPSHOTS_FILE)), 'snapshot files differ');
  for (const file of FIGURE_FILES) assert.ok(read(runB, file).equals(read(runA, file)), `${file} differs after resume`);
});

test('vae report on a run without snapshots draws the rest and says what it left out', async () => {
  // A folder with only a checkpoint and its log, as a run from before snapshots were recorded.
  const bare = join(root, 'bare');
  mkdirSync(bare);
  for (const f of ['checkpoint.safetensors', 'metrics.jsonl']) copyFileSync(join(runA, f), join(bare, f));
  const r = await runOk(['report', '--checkpoint', bare]);
  assert.match(r.stderr, /no latent_evolution\.gif: the run folder has no latent snapshots/);
  for (const f of FIGURE_FILES) {
    const skipped = /evolution|marginals/.test(f);
    assert.equal(existsSync(join(bare, f)), !skipped, f);
    if (!skipped && f !== 'report.html') assert.ok(read(bare, f).equals(read(runA, f)), `${f} differs`);
  }
  assert.match(read(bare, 'report.html').toString('utf8'), /Not drawn/);
});

test('a latent of more than two dimensions is drawn on its first two principal components', async () => {
  const dir = join(root, 'latent5');
  await runOk(['train', ...TINY.slice(0, -2), '--latent', '5', '--epochs', '1', '--out', dir]);
  for (const file of PNGS) assert.ok(decodePng(read(dir, file)).variance > 50, file);
  assert.ok(parseGif(read(dir, 'latent_evolution.gif')).frames >= 6);
});

test('vae report refuses bad input with one line and exit code 2', async () => {
  assertUserFailure(await run(['report']), /--checkpoint/);
  assertUserFailure(await run(['report', '--checkpoint', join(root, 'nowhere')]), /no such checkpoint or run folder/);
  const file = join(root, 'a-file');
  writeFileSync(file, 'x');
  assertUserFailure(await run(['report', '--checkpoint', runA, '--out', file]), /--out must be a folder/);
  assertUserFailure(await run(['report', '--checkpoint', runA, '--seed', '-1']), /--seed/);
  assertUserFailure(await run(['report', '--checkpoint', runA, '--sed', '1']), /did you mean --seed/);
  const damaged = join(root, 'damaged');
  mkdirSync(damaged);
  for (const f of ['checkpoint.safetensors', 'metrics.jsonl', 'report.html']) copyFileSync(join(runA, f), join(damaged, f));
  writeFileSync(join(damaged, SNAPSHOTS_FILE), read(runA, SNAPSHOTS_FILE).subarray(0, 1000));
  const before = read(damaged, 'report.html');
  assertUserFailure(await run(['report', '--checkpoint', damaged]), /latent_snapshots\.safetensors/);
  assert.ok(read(damaged, 'report.html').equals(before), 'a failed report leaves the old files alone');
});
