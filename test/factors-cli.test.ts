/**
 * `vae factors` and `vae encode` on a tiny run: factors.json has the shared shape and the table
 * is printed; encode's CSV and safetensors hold exactly the encoder's outputs for the images
 * asked for; bad flags get one line and exit code 2, and leave no file behind.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertUserFailure, vae, vaeOk } from './support/cli.js';
import { tempRoot, writeIdxFolder } from './support/tiny.js';
import { loadCheckpoint } from '../src/train/checkpoint.js';
import { loadDataset } from '../src/data/source.js';
import { batches } from '../src/data/batches.js';
import { Tensor, noGrad } from '../src/engine/tensor.js';
import { readSafetensors } from '../src/io/safetensors.js';
import { decodePng } from './viz-helpers.js';

let root: string;
let run: string;
let data: string;

before(async () => {
  root = tempRoot('factors-cli');
  data = writeIdxFolder(join(root, 'data'), { train: 300, test: 60 });
  run = join(root, 'run');
  await vaeOk(['train', '--dataset', `idx:${data}`, '--train-size', '300', '--test-size', '60', '--epochs', '1', '--hidden', '32', '--latent', '2', '--out', run], root);
});

after(() => {
  if (root !== undefined) rmSync(root, { recursive: true, force: true });
});

/** The encoder's mean and log-variance of the first `count` test images, computed here directly. */
function expectedPosterior(count: number, split: 'train' | 'test' = 'test'): { mu: Float32Array; logvar: Float32Array; labels: Uint8Array } {
  const state = loadCheckpoint(run);
  const images = loadDataset(`idx:${data}`)[split];
  const batch = batches(images, count, { shuffle: null, binarize: 'none' }).next().value!;
  return noGrad(() => {
    const q = state.model.encode(new Tensor(batch.x, [count, state.model.config.inputDim]));
    return { mu: q.mu.data.slice(), logvar: q.logvar.data.slice(), labels: batch.labels.slice() };
  });
}

test('vae factors writes factors.json in the shared shape and latent_traversals.png, and prints the table', async () => {
  const r = await vaeOk(['factors', '--checkpoint', run], root);
  assert.match(r.stdout, /hidden factors of .*: \d of 2 latent dimensions active/);
  assert.match(r.stdout, /dim\s+KL nats\s+active\s+tracks\s+partial r/);
  assert.match(r.stdout, /^z1 /m);
  const file = JSON.parse(readFileSync(join(run, 'factors.json'), 'utf8')) as {
    dimensions: Array<{ dim: number; kl: number; active: boolean; factor: string | null; r: number | null; slope: number | null; slopeUnits: string | null; monotonic: boolean | null }>;
    measures: string[];
    directions: Record<string, { vector: number[]; r: number; units: string }>;
    withinClass: Record<string, { r: number; classes: number }> | null;
    testImages: number;
  };
  assert.equal(file.testImages, 60);
  // 6 images per class: too few to fit within each class.
  assert.equal(file.withinClass, null);
  assert.match(r.stdout, /^measure\s+R all images$/m);
  assert.deepEqual(file.dimensions.map((d) => d.dim), [0, 1]);
  assert.ok(file.measures.includes('slant_deg') && file.measures.includes('thickness'));
  for (const d of file.dimensions) {
    assert.ok(d.kl >= 0);
    assert.equal(d.active, d.kl > 0.01);
    if (d.active) {
      assert.ok(file.measures.includes(d.factor!));
      assert.ok(Math.abs(d.r!) <= 1);
      assert.match(d.slopeUnits!, / per sigma$/);
      assert.equal(typeof d.monotonic, 'boolean');
    }
  }
  for (const m of file.measures) {
    const { vector, r: fit, units } = file.directions[m]!;
    assert.equal(vector.length, 2);
    const norm = Math.hypot(...vector);
    assert.ok(norm === 0 || Math.abs(norm - 1) < 1e-4, `${m}: |v| = ${norm}`);
    assert.ok(fit >= 0 && fit <= 1 && units.length > 0);
  }
  const png = decodePng(readFileSync(join(run, 'latent_traversals.png')));
  assert.ok(png.width > 700 && png.variance > 50);

  const json = await vaeOk(['factors', '--checkpoint', run, '--json', '--test-size', '30', '--out', join(root, 'elsewhere')], root);
  const parsed = JSON.parse(json.stdout) as { testImages: number };
  assert.equal(parsed.testImages, 30);
  assert.deepEqual(JSON.parse(readFileSync(join(root, 'elsewhere', 'factors.json'), 'utf8')), parsed);
});

test('vae train draws the hidden factors with the other figures and puts them in the report', () => {
  for (const file of ['factors.json', 'latent_traversals.png', 'latent_scatter_slant.png', 'latent_scatter_thickness.png', 'latent_scatter_width.png']) {
    assert.ok(existsSync(join(run, file)), file);
  }
  const html = readFileSync(join(run, 'report.html'), 'utf8');
  assert.match(html, /<h2>Hidden factors<\/h2>/);
  for (const file of ['latent_traversals.png', 'latent_scatter_slant.png']) assert.match(html, new RegExp(`<figure id="${file}">`));
});

test('vae report redraws the hidden factors byte for byte', async () => {
  const out = join(root, 'redrawn');
  await vaeOk(['report', '--checkpoint', run, '--out', out], root);
  for (const file of ['factors.json', 'latent_traversals.png', 'latent_scatter_slant.png', 'latent_scatter_thickness.png', 'latent_scatter_width.png']) {
    assert.ok(readFileSync(join(out, file)).equals(readFileSync(join(run, file))), `${file} differs from what vae train wrote`);
  }
});

test('vae encode writes CSV rows that are the encoder outputs of the images, in order', async () => {
  const out = join(root, 'codes', 'test.csv');
  await vaeOk(['encode', '--checkpoint', run, '--limit', '25', '--out', out], root);
  const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
  assert.equal(lines[0], 'index,label,mu_0,mu_1,logvar_0,logvar_1');
  assert.equal(lines.length, 26);
  const expected = expectedPosterior(25);
  lines.slice(1).forEach((line, i) => {
    const cells = line.split(',').map(Number);
    assert.equal(cells.length, 6);
    assert.equal(cells[0], i);
    assert.equal(cells[1], expected.labels[i]);
    assert.equal(Math.fround(cells[2]!), expected.mu[2 * i]);
    assert.equal(Math.fround(cells[3]!), expected.mu[2 * i + 1]);
    assert.equal(Math.fround(cells[4]!), expected.logvar[2 * i]);
    assert.equal(Math.fround(cells[5]!), expected.logvar[2 * i + 1]);
  });
});

test('vae encode writes safetensors with mu and logvar [N, L] and labels [N], from either split', async () => {
  const out = join(root, 'train.safetensors');
  await vaeOk(['encode', '--checkpoint', run, '--split', 'train', '--limit', '40', '--out', out], root);
  const file = readSafetensors(readFileSync(out));
  const expected = expectedPosterior(40, 'train');
  assert.deepEqual(file.tensors.mu!.shape, [40, 2]);
  assert.deepEqual(file.tensors.logvar!.shape, [40, 2]);
  assert.deepEqual(file.tensors.labels!.shape, [40]);
  assert.deepEqual(Array.from(file.tensors.mu!.data), Array.from(expected.mu));
  assert.deepEqual(Array.from(file.tensors.logvar!.data), Array.from(expected.logvar));
  assert.deepEqual(Array.from(file.tensors.labels!.data), Array.from(expected.labels));
  assert.equal(file.metadata.split, 'train');
  // Without --limit, the run's own test set: its --test-size of 60.
  const all = join(root, 'all.safetensors');
  await vaeOk(['encode', '--checkpoint', run, '--out', all], root);
  assert.deepEqual(readSafetensors(readFileSync(all)).tensors.mu!.shape, [60, 2]);
});

test('bad flags: one line, exit code 2, nothing written', async () => {
  const fail = async (args: string[], pattern: RegExp): Promise<void> => assertUserFailure(await vae(args, root), pattern);
  await fail(['encode', '--checkpoint', run, '--out', join(root, 'codes.txt')], /--out must name a \.csv or \.safetensors file/);
  assert.equal(existsSync(join(root, 'codes.txt')), false);
  await fail(['encode', '--checkpoint', run], /--out/);
  await fail(['encode', '--checkpoint', run, '--split', 'validation', '--out', join(root, 'x.csv')], /split/);
  await fail(['encode', '--checkpoint', run, '--limit', '0', '--out', join(root, 'x.csv')], /limit/);
  await fail(['encode', '--checkpoint', join(root, 'missing'), '--out', join(root, 'x.csv')], /no such checkpoint/);
  assert.equal(existsSync(join(root, 'x.csv')), false);
  await fail(['factors'], /--checkpoint/);
  await fail(['factors', '--checkpoint', join(root, 'missing')], /no such checkpoint/);
  await fail(['factors', '--checkpoint', run, '--test-size', '2'], /test-size/);
  writeFileSync(join(root, 'a-file'), 'x');
  await fail(['factors', '--checkpoint', run, '--out', join(root, 'a-file')], /--out must be a folder/);
  await fail(['factors', '--checkpoint', run, '--bogus'], /bogus/);
});
