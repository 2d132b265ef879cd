/**
 * dsprites and the beta-TC-VAE from the command line: a run trains and records its objective,
 * bad combinations exit 2 with one line, and the disentanglement scores of a trained model
 * come from its posterior means on the grid's ground truth.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadCheckpoint } from '../src/train/checkpoint.js';
import { disentanglementWork, groundTruthFor, modelDisentanglement } from '../src/train/disentanglement.js';
import { DISENTANGLEMENT_LIB_SETTINGS } from '../src/measure/disentanglement.js';
import { UserError } from '../src/errors.js';
import { dspritesFactors } from '../src/data/dsprites.js';
import { assertUserFailure, vae, vaeOk } from './support/cli.js';
import { TINY_FLAGS, tempRoot, writeIdxFolder } from './support/tiny.js';

const root = tempRoot('dsprites-cli');
const RUN = join(root, 'btcvae');
const SMALL = { ...DISENTANGLEMENT_LIB_SETTINGS, migPoints: 300, sapTest: 200, factorVaeVariancePoints: 300, factorVaeTrain: 20, factorVaeEval: 10 };

before(async () => {
  const r = await vaeOk(
    ['train', '--dataset', 'dsprites', '--train-size', '64', '--test-size', '32', '--epochs', '1', '--batch-size', '32', '--hidden', '16', '--latent', '3', '--objective', 'btcvae', '--beta', '6', '--out', RUN],
    root,
  );
  assert.match(r.stdout, /dsprites, 64 train \/ 32 test images of 64x64/);
  assert.match(r.stdout, /objective beta-TC-VAE, beta = 6/);
});

after(() => rmSync(root, { recursive: true, force: true }));

test('a btcvae run on dsprites records its objective and beta', () => {
  const config = JSON.parse(readFileSync(join(RUN, 'config.json'), 'utf8')) as { training: { objective: string; beta: number; dataset: string } };
  assert.equal(config.training.objective, 'btcvae');
  assert.equal(config.training.beta, 6);
  assert.equal(config.training.dataset, 'dsprites');
});

test('btcvae with KL warm-up or k is refused with one line', async () => {
  assertUserFailure(await vae(['train', ...TINY_FLAGS, '--objective', 'btcvae', '--kl-warmup', '5'], root), /--objective btcvae takes none/);
  assertUserFailure(await vae(['train', ...TINY_FLAGS, '--objective', 'btcvae', '--k', '5'], root), /--k sets the importance samples/);
  assertUserFailure(await vae(['train', '--dataset', 'dsprites', '--train-size', '700000', '--out', join(root, 'too-many')], root), /dsprites has 663552 training images/);
});

test('disentanglement scores are refused for data without known factors', async () => {
  const idx = writeIdxFolder(join(root, 'idx'));
  const dir = join(root, 'idx-run');
  await vaeOk(['train', ...TINY_FLAGS, '--dataset', `idx:${idx}`, '--out', dir], root);
  assertUserFailure(await vae(['eval', '--checkpoint', dir, '--disentanglement'], root), /need data with known factors; idx:.* has none/);
});

test("a dsprites model's scores are reproducible numbers in [0, 1] over the work counted", () => {
  const state = loadCheckpoint(RUN);
  const gt = groundTruthFor('test', 'dsprites', state.model);
  let encoded = 0;
  const a = modelDisentanglement(state.model, gt, { settings: SMALL, onProgress: (n) => (encoded = n) });
  const b = modelDisentanglement(state.model, gt, { settings: SMALL });
  assert.deepEqual(a, b);
  assert.equal(encoded, disentanglementWork(SMALL));
  assert.equal(disentanglementWork(), 985_000);
  for (const v of [a.mig.score, a.factorVae.score, a.sap.score]) assert.ok(v >= 0 && v <= 1, `score ${v}`);
  assert.equal(a.mig.perFactor.length, 5);
  assert.throws(() => groundTruthFor('vae eval', 'mnist', state.model), (e: unknown) => e instanceof UserError);
});

test('vae encode writes the dsprites factor indices of each image beside its codes', async () => {
  const out = join(root, 'codes.csv');
  await vaeOk(['encode', '--checkpoint', RUN, '--limit', '12', '--out', out], root);
  const [header, ...rows] = readFileSync(out, 'utf8').trim().split('\n');
  const columns = header!.split(',');
  assert.deepEqual(columns.slice(-5), ['factor_shape', 'factor_scale', 'factor_orientation', 'factor_posx', 'factor_posy']);
  assert.equal(rows.length, 12);
  rows.forEach((row, i) => {
    const cells = row.split(',');
    const factors = cells.slice(-5).map(Number);
    assert.deepEqual(factors, [...dspritesFactors('test', i)]);
    assert.equal(Number(cells[1]), factors[0], 'the label is the shape');
  });
  const train = join(root, 'train-codes.csv');
  await vaeOk(['encode', '--checkpoint', RUN, '--split', 'train', '--limit', '3', '--out', train], root);
  const trainRows = readFileSync(train, 'utf8').trim().split('\n').slice(1);
  trainRows.forEach((row, i) => assert.deepEqual(row.split(',').slice(-5).map(Number), [...dspritesFactors('train', i)]));
});
