/**
 * The wasm kernels train the same model to the same numbers as the js kernels: same seed,
 * same data, so the loss curves may differ only by float rounding. The reference MLP
 * (784-400-20) over 50 steps, on one thread and with the matrix product on two; and a few
 * steps of the conv VAE, whose convolutions run on the kernels' im2col, col2im and
 * channel-major moves.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultRunConfig, loadMnist, subset } from '../src/index.js';
import { jsKernels } from '../src/kernels/js.js';
import { loadWasmKernels } from '../src/kernels/wasm.js';
import type { Kernels } from '../src/kernels/kernels.js';
import { assertSameCurve, CONV_STEPS, convLossCurve, curveOf, type Curve } from './support/curves.js';

const STEPS = 50;
const mnist = loadMnist();
const data = { ...mnist, train: subset(mnist.train, STEPS * 128), test: subset(mnist.test, 500) };

function lossCurve(kernels: Kernels): Promise<Curve> {
  const config = defaultRunConfig();
  config.training.epochs = 1;
  return curveOf(kernels, config, data);
}

const reference = lossCurve(jsKernels);

for (const threads of [1, 2]) {
  test(`wasm (${threads} thread${threads === 1 ? '' : 's'}) and js kernels give the same loss curve over ${STEPS} steps (relative difference <= 1e-4)`, async () => {
    const wasm = loadWasmKernels(threads);
    assert.ok(wasm.ok, wasm.ok ? '' : wasm.reason);
    const js = await reference;
    const got = await lossCurve(wasm.kernels);
    // The run must actually learn, or agreeing would prove little.
    assert.ok(js.losses[STEPS - 1]! < 0.5 * js.losses[0]!, `loss ${js.losses[0]} -> ${js.losses[STEPS - 1]}`);
    assertSameCurve(js, got, STEPS, 'wasm');
  });
}


test(`conv VAE: wasm and js kernels give the same loss curve over ${CONV_STEPS} steps (relative difference <= 1e-4)`, async () => {
  await reference; // the kernels are global: one run at a time
  const wasm = loadWasmKernels(2);
  assert.ok(wasm.ok, wasm.ok ? '' : wasm.reason);
  const js = await convLossCurve(jsKernels, mnist);
  const got = await convLossCurve(wasm.kernels, mnist);
  assert.ok(js.losses[CONV_STEPS - 1]! < 0.7 * js.losses[0]!, `loss ${js.losses[0]} -> ${js.losses[CONV_STEPS - 1]}`);
  assertSameCurve(js, got, CONV_STEPS, 'wasm');
});
