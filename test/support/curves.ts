/**
 * Loss curves of short training runs (the MLP's, the conv VAE's), and their comparison: how test/native-training.test.ts
 * and test/wasm-training.test.ts check that a kernel provider trains to the js kernels' numbers.
 */
import assert from 'node:assert/strict';
import { createTrainingState, defaultRunConfig, subset, train, type DataSplits, type RunConfig } from '../../src/index.js';
import { jsKernels } from '../../src/kernels/js.js';
import type { Kernels } from '../../src/kernels/kernels.js';
import { setKernels } from '../../src/engine/tensor.js';

export interface Curve {
  losses: number[];
  test: number;
}

/** One epoch of `config` on `data` with `kernels`: every step's loss and the test NELBO. */
export async function curveOf(kernels: Kernels, config: RunConfig, split: DataSplits): Promise<Curve> {
  setKernels(kernels);
  try {
    const state = createTrainingState(config);
    const losses: number[] = [];
    const [m] = await train(state, split, { onStep: (s) => losses.push(s.loss) });
    return { losses, test: m!.test_nelbo };
  } finally {
    setKernels(jsKernels);
  }
}

/** Both runs took `steps` steps, each loss and the test NELBO agree within a relative 1e-4. */
export function assertSameCurve(js: Curve, nat: Curve, steps: number, label = 'native'): void {
  assert.equal(js.losses.length, steps);
  assert.equal(nat.losses.length, steps);
  for (let i = 0; i < steps; i++) {
    const rel = Math.abs(nat.losses[i]! - js.losses[i]!) / Math.abs(js.losses[i]!);
    assert.ok(rel <= 1e-4, `step ${i + 1}: ${label} ${nat.losses[i]} vs js ${js.losses[i]} (relative ${rel.toExponential(2)})`);
  }
  const relTest = Math.abs(nat.test - js.test) / js.test;
  assert.ok(relTest <= 1e-4, `test NELBO: ${label} ${nat.test} vs js ${js.test}`);
}

/** Steps of the conv VAE's curve: a few, since the js kernels take about half a second each here. */
export const CONV_STEPS = 12;
const CONV_BATCH = 64;

/** One epoch of CONV_STEPS steps of a small conv VAE (hidden 64, latent 8) on the first MNIST images. */
export function convLossCurve(kernels: Kernels, mnist: DataSplits): Promise<Curve> {
  const config = defaultRunConfig();
  config.model = { ...config.model, arch: 'conv', hidden: [64], latent: 8 };
  config.training = { ...config.training, epochs: 1, batchSize: CONV_BATCH };
  return curveOf(kernels, config, { ...mnist, train: subset(mnist.train, CONV_STEPS * CONV_BATCH), test: subset(mnist.test, 200) });
}
