/**
 * A long run of a small dataset records at most 40 latent snapshots, spread over the run from
 * before the first step to the last, and its evolution GIF has one frame per snapshot.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { vaeOk } from './support/cli.js';
import { tempRoot, writeIdxFolder } from './support/tiny.js';
import { MAX_SNAPSHOTS, readSnapshots } from '../src/train/snapshots.js';
import { parseGif } from './viz-helpers.js';

const root = tempRoot('snapshot-cap');

after(() => {
  rmSync(root, { recursive: true, force: true });
});

test('60 epochs of one step each keep 40 snapshots, the first and the last among them', async () => {
  const idx = writeIdxFolder(join(root, 'idx'), { train: 32, test: 16 });
  const run = join(root, 'run');
  await vaeOk(['train', '--dataset', `idx:${idx}`, '--epochs', '60', '--batch-size', '32', '--hidden', '8', '--latent', '2', '--out', run], root);
  const record = readSnapshots(run)!;
  const steps = record.snapshots.map((s) => s.step);
  assert.equal(record.batchesPerEpoch, 1);
  assert.ok(steps.length <= MAX_SNAPSHOTS && steps.length >= MAX_SNAPSHOTS - 2, `${steps.length} snapshots`);
  assert.equal(steps[0], 0);
  assert.equal(steps.at(-1), 60);
  const gaps = steps.slice(1).map((s, i) => s - steps[i]!);
  assert.ok(Math.max(...gaps) <= 2 && Math.min(...gaps) >= 1, `gaps ${gaps.join(' ')}`);
  assert.equal(parseGif(readFileSync(join(run, 'latent_evolution.gif'))).frames, steps.length);
});
