/**
 * Small collections out of the box: a run's length in optimizer steps (--steps), stopping
 * mid-epoch and taken up exactly on resume; the default length of a small folder; and
 * --augment, shifts (and mirrors for colour) drawn from the run's generator.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Random } from '../src/engine/random.js';
import { augmentBatch, augmentationFor } from '../src/data/augment.js';
import { loadCheckpoint } from '../src/train/checkpoint.js';
import { MAX_REPORTS } from '../src/train/trainer.js';
import { DEFAULT_SMALL_STEPS, SMALL_COLLECTION } from '../src/run/settings.js';
import { assertUserFailure, vaeOk, vae } from './support/cli.js';
import { tempRoot, writeIdxFolder } from './support/tiny.js';
import { writeShapesFolder } from './support/shape-folder.js';

const root = tempRoot('small-collections');
after(() => rmSync(root, { recursive: true, force: true }));

const idx = writeIdxFolder(join(root, 'idx'), { train: 100, test: 20 });
// 100 images in batches of 16: 7 batches an epoch, the last of 4 images.
const SMALL_RUN = ['--dataset', `idx:${idx}`, '--batch-size', '16', '--hidden', '16', '--latent', '2'];

interface Line {
  epoch: number;
  step: number;
  batches?: number;
  batches_per_epoch?: number;
  [key: string]: unknown;
}

function metrics(dir: string): Line[] {
  return readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Line);
}

/** A metrics line without its wall-clock fields. */
function untimed(m: Line): Line {
  const { seconds: _s, samples_per_sec: _r, ...rest } = m;
  return rest as Line;
}

function assertSameState(a: string, b: string): void {
  const x = loadCheckpoint(a);
  const y = loadCheckpoint(b);
  assert.equal(x.optimizer.step, y.optimizer.step);
  assert.deepEqual(x.rng.getState(), y.rng.getState());
  const yp = y.model.parameters();
  x.model.parameters().forEach(([name, t], i) => assert.deepEqual(t.data, yp[i]![1].data, name));
  const ym = y.optimizer.getState();
  x.optimizer.getState().m.forEach((m, i) => assert.deepEqual(m, ym.m[i]));
}

test('--steps N stops at step N, mid-epoch, and says so in config, metrics and the epoch lines', async () => {
  const dir = join(root, 'steps30');
  const r = await vaeOk(['train', ...SMALL_RUN, '--steps', '30', '--out', dir], root);
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { training: { steps: number; epochs: number } };
  assert.equal(config.training.steps, 30);
  assert.equal(config.training.epochs, 5);
  assert.match(r.stdout, /training: 30 steps \(5 epochs of 7 batches, the last cut short\)/);
  assert.match(r.stdout, /epoch 5\/5, step 30\/30 {2}train/);
  const lines = metrics(dir);
  assert.deepEqual(lines.map((m) => m.step), [7, 14, 21, 28, 30]);
  assert.equal(lines[4]!.batches, 2);
  assert.equal(lines[4]!.batches_per_epoch, 7);
  assert.equal(lines[3]!.batches, undefined);
  assert.equal(loadCheckpoint(dir).optimizer.step, 30);
  const again = await vae(['train', '--resume', dir], root);
  assertUserFailure(again, /already trained 30 of 30 steps; pass --steps N with N > 30/);
});

test('a run stopped short at --steps and resumed to more steps is the run trained for them at once, bit for bit', async () => {
  const once = join(root, 'steps30');
  for (const [first, name] of [
    [20, 'mid-epoch'],
    [14, 'at an epoch end'],
  ] as const) {
    const dir = join(root, `steps${first}`);
    await vaeOk(['train', ...SMALL_RUN, '--steps', String(first), '--out', dir], root);
    const r = await vaeOk(['train', '--resume', dir, '--steps', '30'], root);
    assert.match(r.stdout, first === 20 ? /resuming after step 20/ : /resuming after epoch 2/, name);
    assertSameState(once, dir);
    // The line of the epoch cut short is replaced by the whole epoch's: the log is the uninterrupted run's.
    assert.deepEqual(metrics(dir).map(untimed), metrics(once).map(untimed), name);
  }
});

test('--epochs and --steps together are refused, and a resumed run may switch to epochs', async () => {
  const r = await vae(['train', ...SMALL_RUN, '--steps', '10', '--epochs', '2', '--out', join(root, 'both')], root);
  assertUserFailure(r, /--epochs and --steps both set how long to train; give one/);
  const dir = join(root, 'switch');
  await vaeOk(['train', ...SMALL_RUN, '--steps', '10', '--out', dir], root);
  await vaeOk(['train', '--resume', dir, '--epochs', '3'], root);
  const state = loadCheckpoint(dir);
  assert.equal(state.config.training.steps, undefined);
  assert.equal(state.epoch, 3);
  assert.equal(state.optimizer.step, 21);
  assert.equal(state.partial, undefined);
});

test('a small folder with no --epochs or --steps trains the default steps, reporting at most MAX_REPORTS times', async () => {
  const folder = writeShapesFolder(join(root, 'shapes'), { count: 200, size: 8 });
  const dir = join(root, 'default-small');
  // Grey (--channels 1): the default length does not depend on the colours. 180 training
  // images in batches of 16 make 12 steps an epoch.
  const flags = ['--dataset', `folder:${folder}`, '--image-size', '8', '--channels', '1', '--hidden', '8', '--latent', '2', '--batch-size', '16'];
  const r = await vaeOk(['train', ...flags, '--out', dir], root);
  assert.match(r.stdout, new RegExp(`a small collection \\(180 training images, fewer than ${SMALL_COLLECTION}\\): training ${DEFAULT_SMALL_STEPS} steps`));
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { training: { steps: number; epochs: number } };
  assert.equal(config.training.steps, DEFAULT_SMALL_STEPS);
  assert.equal(config.training.epochs, Math.ceil(DEFAULT_SMALL_STEPS / 12));
  const lines = metrics(dir);
  assert.ok(lines.length <= MAX_REPORTS + 1, `${lines.length} metrics lines`);
  assert.equal(lines[lines.length - 1]!.step, DEFAULT_SMALL_STEPS);
  assert.equal(loadCheckpoint(dir).optimizer.step, DEFAULT_SMALL_STEPS);
  // --epochs given keeps its meaning.
  const byEpochs = join(root, 'small-epochs');
  await vaeOk(['train', ...flags, '--epochs', '2', '--out', byEpochs], root);
  assert.equal(loadCheckpoint(byEpochs).optimizer.step, 24);
});

/** Two colour images of 4x6 with every value distinct, as a batch. */
function colourBatch(): Float32Array {
  return Float32Array.from({ length: 2 * 3 * 4 * 6 }, (_, i) => i / 255);
}

test('augmentation is deterministic per seed, changes the batches, and stays within its shifts', () => {
  const a = augmentationFor({ channels: 3, imageHeight: 4, imageWidth: 6 }, { noun: 'image' });
  assert.deepEqual([a.shiftX, a.shiftY, a.flip], [1, 1, true]);
  assert.equal(augmentationFor({ imageHeight: 28, imageWidth: 28 }, { noun: 'digit' }).flip, false);
  assert.equal(augmentationFor({ imageHeight: 48, imageWidth: 48 }, { noun: 'image' }).shiftX, 3);
  const runs = [1, 1, 2].map((seed) => {
    const x = colourBatch();
    const rng = new Random(seed);
    for (let i = 0; i < 5; i++) augmentBatch(x, 2, a, rng);
    return x;
  });
  assert.deepEqual(runs[0], runs[1]);
  assert.notDeepEqual(runs[0], runs[2]);
  assert.notDeepEqual(runs[0], colourBatch());

  // One bright pixel on a grey image moves by at most the shift, and stays in its channel.
  const g = augmentationFor({ imageHeight: 8, imageWidth: 8 }, { noun: 'image' });
  const rng = new Random(3);
  let moved = 0;
  for (let trial = 0; trial < 50; trial++) {
    const x = new Float32Array(64);
    x[3 * 8 + 4] = 1;
    augmentBatch(x, 1, g, rng);
    const at = x.indexOf(1);
    const [y, xx] = [Math.floor(at / 8), at % 8];
    assert.ok(Math.abs(y - 3) <= 1 && Math.abs(xx - 4) <= 1, `pixel moved to ${y},${xx}`);
    if (at !== 3 * 8 + 4) moved++;
  }
  assert.ok(moved > 20, `${moved} of 50 moved`);
});

test('--augment is recorded, applies to folders only, and the same seed trains the same model', async () => {
  const folder = join(root, 'shapes');
  const run = (out: string, extra: string[]): Promise<unknown> =>
    vaeOk(['train', '--dataset', `folder:${folder}`, '--image-size', '8', '--channels', '1', '--hidden', '16', '--latent', '2', '--steps', '12', '--batch-size', '8', ...extra, '--out', join(root, out)], root);
  await run('aug1', ['--augment']);
  await run('aug2', ['--augment']);
  // A small grey folder is augmented by default; this run is not.
  await run('plain', ['--augment', 'none']);
  // --augment alone is auto: handwriting for these grey images.
  const config = JSON.parse(readFileSync(join(root, 'aug1', 'config.json'), 'utf8')) as { training: { augment?: string } };
  assert.equal(config.training.augment, 'handwriting');
  assertSameState(join(root, 'aug1'), join(root, 'aug2'));
  const a = loadCheckpoint(join(root, 'aug1')).model.parameters()[0]![1].data;
  const p = loadCheckpoint(join(root, 'plain')).model.parameters()[0]![1].data;
  assert.notDeepEqual(a, p);
  const refused = await vae(['train', ...SMALL_RUN, '--augment', '--out', join(root, 'aug-idx')], root);
  assertUserFailure(refused, /--augment applies to folder: and emoji datasets/);
});
