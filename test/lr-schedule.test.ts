/**
 * The cosine learning-rate schedule: its curve, that training follows it, and that a resumed
 * run stays on it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  createTrainingState,
  decodeCheckpoint,
  defaultRunConfig,
  encodeCheckpoint,
  learningRateAt,
  loadMnist,
  subset,
  train,
  type DataSplits,
  type RunConfig,
} from '../src/index.js';
import { validateTrainingConfig } from '../src/train/config.js';

const mnist = loadMnist();
const data: DataSplits = { ...mnist, train: subset(mnist.train, 640), test: subset(mnist.test, 200) };

function config(schedule: 'constant' | 'cosine', epochs = 2): RunConfig {
  const c = defaultRunConfig();
  c.model.hidden = [32];
  c.model.latent = 3;
  c.training.epochs = epochs;
  c.training.batchSize = 64;
  if (schedule === 'cosine') {
    c.training.lrSchedule = 'cosine';
    c.training.lrMin = 1e-5;
  }
  return c;
}

test('the cosine schedule starts at lr, ends at lr-min, passes their mean halfway and never rises', () => {
  const t = { lr: 1e-3, lrSchedule: 'cosine' as const, lrMin: 1e-5 };
  const total = 101;
  assert.equal(learningRateAt(t, 1, total), 1e-3);
  assert.ok(Math.abs(learningRateAt(t, total, total) - 1e-5) < 1e-18);
  assert.ok(Math.abs(learningRateAt(t, 51, total) - (1e-3 + 1e-5) / 2) < 1e-15);
  for (let s = 2; s <= total; s++) assert.ok(learningRateAt(t, s, total) < learningRateAt(t, s - 1, total), `step ${s}`);
  // Without --lr-min the curve ends at a hundredth of lr; the constant schedule is flat.
  assert.ok(Math.abs(learningRateAt({ lr: 2e-3, lrSchedule: 'cosine' }, total, total) - 2e-5) < 1e-18);
  assert.equal(learningRateAt({ lr: 2e-3 }, total, total), 2e-3);
});

test('schedule settings out of range are refused by name', () => {
  const bad = (training: Partial<RunConfig['training']>, pattern: RegExp): void => {
    const c = defaultRunConfig();
    assert.throws(() => validateTrainingConfig({ ...c.training, ...training }), pattern);
  };
  bad({ lrSchedule: 'step' as never }, /unknown learning-rate schedule step/);
  bad({ lrMin: 1e-5 }, /needs the cosine schedule/);
  bad({ lrSchedule: 'cosine', lrMin: -1 }, /lr-min must be a number >= 0/);
  bad({ lrSchedule: 'cosine', lrMin: 0.1 }, /must not exceed lr/);
});

test('training follows the schedule: the last step runs at lr-min, and the run differs from a constant rate', async () => {
  const cosine = createTrainingState(config('cosine'));
  const constant = createTrainingState(config('constant'));
  const hc = await train(cosine, data);
  const hk = await train(constant, data);
  const stepsPerEpoch = 10;
  assert.equal(hc[1]!.step, 2 * stepsPerEpoch);
  assert.ok(Math.abs(hc[1]!.lr! - 1e-5) < 1e-18, `last lr ${hc[1]!.lr}`);
  assert.equal(hc[0]!.lr, learningRateAt(cosine.config.training, stepsPerEpoch, 2 * stepsPerEpoch));
  assert.equal(hk[1]!.lr, 1e-3);
  // The first step runs at lr in both, so the two runs part only afterwards.
  assert.notEqual(hc[1]!.train_nelbo, hk[1]!.train_nelbo);
});

test('a cosine run stopped after one epoch and resumed from its checkpoint ends where an uninterrupted run does', async () => {
  const whole = createTrainingState(config('cosine'));
  const h = await train(whole, data);
  const first = createTrainingState(config('cosine'));
  await train(first, data, { epochs: 1 });
  const resumed = decodeCheckpoint(encodeCheckpoint(first), 'memory');
  const rest = await train(resumed, data);
  assert.equal(rest.length, 1);
  assert.equal(rest[0]!.lr, h[1]!.lr);
  assert.equal(rest[0]!.test_nelbo, h[1]!.test_nelbo);
  const w = whole.model.parameters();
  resumed.model.parameters().forEach(([name, t], i) => assert.deepEqual(t.data, w[i]![1].data, name));
});
