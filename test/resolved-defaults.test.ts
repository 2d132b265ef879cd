/**
 * A saved config's absent settings mean what they meant when it was written, read in one
 * place: a checkpoint from before objectives trained the plain ELBO at a constant rate, and an
 * IWAE run saved without k drew one sample (the CLI's default K for new runs is another thing).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveTrainingConfig, type TrainingConfig } from '../src/train/config.js';
import { describeObjective } from '../src/vae/describe.js';
import { describeLr, learningRateAt } from '../src/train/lr-schedule.js';
import { DEFAULT_IWAE_K } from '../src/run/settings.js';

const legacy: TrainingConfig = { dataset: 'mnist', epochs: 3, batchSize: 128, lr: 2e-3, seed: 1, binarize: 'none' };

test('a config from before the objective and schedule settings resolves to the ELBO at a constant rate', () => {
  const r = resolveTrainingConfig(legacy);
  assert.deepEqual(
    { objective: r.objective, k: r.k, beta: r.beta, klWarmup: r.klWarmup, lrSchedule: r.lrSchedule, lrMin: r.lrMin },
    { objective: 'elbo', k: 1, beta: 1, klWarmup: 0, lrSchedule: 'constant', lrMin: 2e-5 },
  );
  assert.equal(describeObjective(legacy), 'ELBO');
  assert.equal(describeLr(legacy), '0.002');
  assert.equal(learningRateAt(legacy, 50, 100), 2e-3);
});

test('an IWAE config saved without k trains and reads as K = 1, not the CLI default', () => {
  const iwae: TrainingConfig = { ...legacy, objective: 'iwae' };
  assert.notEqual(DEFAULT_IWAE_K, 1, 'the test tells the two apart only while they differ');
  assert.equal(resolveTrainingConfig(iwae).k, 1);
  assert.equal(describeObjective(iwae), 'IWAE bound, K = 1');
});

test('given settings are kept, and a cosine schedule ends at a hundredth of lr unless told', () => {
  const cosine: TrainingConfig = { ...legacy, lrSchedule: 'cosine', beta: 4, klWarmup: 10 };
  const r = resolveTrainingConfig(cosine);
  assert.equal(r.lrMin, 2e-5);
  assert.equal(r.beta, 4);
  assert.equal(r.klWarmup, 10);
  assert.equal(learningRateAt(r, 100, 100), learningRateAt(cosine, 100, 100));
  assert.ok(Math.abs(learningRateAt(cosine, 100, 100) - 2e-5) < 1e-18);
  assert.equal(describeLr({ ...cosine, lrMin: 1e-4 }), '0.002, cosine to 0.0001');
});
