/**
 * Training as a library: it learns (checked by the number it reaches), it is deterministic,
 * checkpoints carry everything a resume needs, and a diverging run stops cleanly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DivergedError,
  Random,
  Tensor,
  createTrainingState,
  defaultRunConfig,
  encodeCheckpoint,
  decodeCheckpoint,
  evaluate,
  loadCheckpoint,
  loadMnist,
  parameterCount,
  countParameters,
  datasetFloats,
  saveCheckpoint,
  subset,
  train,
  type DataSplits,
  type EpochMetrics,
  type RunConfig,
} from '../src/index.js';

const mnist = loadMnist();

function small(trainCount: number, testCount: number): DataSplits {
  return { ...mnist, train: subset(mnist.train, trainCount), test: subset(mnist.test, testCount) };
}

function config(overrides: { hidden?: number[]; latent?: number; epochs?: number; batchSize?: number; lr?: number; seed?: number } = {}): RunConfig {
  const c = defaultRunConfig();
  c.model.hidden = overrides.hidden ?? [64];
  c.model.latent = overrides.latent ?? 4;
  c.training.epochs = overrides.epochs ?? 2;
  c.training.batchSize = overrides.batchSize ?? 32;
  c.training.lr = overrides.lr ?? 1e-3;
  c.training.seed = overrides.seed ?? 1;
  return c;
}

const losses = (h: EpochMetrics[]): number[][] => h.map((m) => [m.train_nelbo, m.test_nelbo, m.test_recon, m.test_kl]);

test('an MLP VAE learns MNIST: test NELBO falls from ~540 nats to below 155 in two short epochs', async () => {
  const data = small(6000, 1000);
  const state = createTrainingState(config({ hidden: [128], latent: 8, batchSize: 16 }));
  const before = evaluate(state.model, data.test);
  assert.ok(before.nelbo > 400, `untrained model: ${before.nelbo}`);
  const history = await train(state, data);
  const last = history[history.length - 1]!;
  assert.ok(last.test_nelbo < 155, `test NELBO after 2 epochs: ${last.test_nelbo}`);
  assert.ok(history[1]!.test_nelbo < history[0]!.test_nelbo);
  assert.ok(last.test_kl > 1, 'the posterior should carry information (KL > 0)');
  assert.ok(Math.abs(last.test_nelbo - (last.test_recon + last.test_kl)) < 1e-6 * last.test_nelbo);
});

test('same seed, same run: identical losses and weights; another seed differs', async () => {
  const data = small(1000, 200);
  const run = async (seed: number): Promise<{ h: number[][]; w: Float32Array }> => {
    const state = createTrainingState(config({ seed }));
    const h = losses(await train(state, data));
    return { h, w: state.model.parameters()[0]![1].data };
  };
  const a = await run(5);
  const b = await run(5);
  const c = await run(6);
  assert.deepEqual(a.h, b.h);
  assert.deepEqual(a.w, b.w);
  assert.notDeepEqual(a.h, c.h);
});

test('a checkpoint round trip restores weights, optimizer and generator: training continues identically', async () => {
  const data = small(800, 200);
  const straight = createTrainingState(config({ epochs: 3 }));
  const full = losses(await train(straight, data));

  const first = createTrainingState(config({ epochs: 3 }));
  const head = losses(await train(first, data, { epochs: 1 }));
  const restored = decodeCheckpoint(encodeCheckpoint(first), 'memory');
  assert.equal(restored.epoch, 1);
  assert.deepEqual(restored.rng.getState(), first.rng.getState());
  assert.equal(restored.optimizer.step, first.optimizer.step);
  const tail = losses(await train(restored, data));
  assert.deepEqual([...head, ...tail], full);
  assert.deepEqual(restored.model.parameters()[2]![1].data, straight.model.parameters()[2]![1].data);
});

test('evaluation is deterministic and independent of the training generator', () => {
  const data = small(10, 300);
  const state = createTrainingState(config());
  const a = evaluate(state.model, data.test);
  state.rng.fillNormal(new Float32Array(17));
  const b = evaluate(state.model, data.test);
  assert.equal(a.nelbo, b.nelbo);
  assert.equal(a.count, 300);
});

test('a loss that turns NaN stops training with a clear error and leaves the last checkpoint intact', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vae-nan-'));
  try {
    const good = small(256, 64);
    const state = createTrainingState(config({ epochs: 2 }));
    await train(state, good, { epochs: 1, onEpoch: (_m, s) => void saveCheckpoint(dir, s) });
    const saved = readFileSync(join(dir, 'checkpoint.safetensors'));
    // A poisoned weight: pixels are bytes and cannot be NaN, but a NaN weight makes the next batch's loss NaN.
    state.model.parameters()[0]![1].data[0] = Number.NaN;
    await assert.rejects(
      train(state, good, { onEpoch: (_m, s) => void saveCheckpoint(dir, s) }),
      (err: unknown) => err instanceof DivergedError && /loss became NaN at epoch 2/.test(err.message),
    );
    assert.deepEqual(readFileSync(join(dir, 'checkpoint.safetensors')), saved);
    assert.equal(loadCheckpoint(dir).epoch, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the model API: encode gives a posterior per example, sample and reconstruct give images in [0, 1]', () => {
  const state = createTrainingState(config({ latent: 2 }));
  const x = new Tensor(datasetFloats(mnist.test, 5), [5, 784]);
  const { mu, logvar } = state.model.encode(x);
  assert.deepEqual(mu.shape, [5, 2]);
  assert.deepEqual(logvar.shape, [5, 2]);
  const samples = state.model.sample(3, new Random(1));
  assert.equal(samples.length, 3 * 784);
  assert.ok(samples.every((v) => v >= 0 && v <= 1));
  assert.equal(parameterCount(state.model.config), countParameters(state.model.parameters()));
  const deep = createTrainingState(config({ hidden: [32, 16], latent: 3 }));
  assert.equal(parameterCount(deep.model.config), countParameters(deep.model.parameters()));
  const recon = state.model.reconstruct(x);
  assert.equal(recon.length, 5 * 784);
  assert.deepEqual(state.model.sample(3, new Random(1)), samples);
});
