/**
 * The native and js kernels train the same model to the same numbers: same seed, same
 * data, so the loss curves may differ only by float rounding (the order of additions in the
 * matrix products, fused multiply-adds). Checked on the reference architecture, 784-400-20,
 * for both of the addon's matrix-product paths (OpenBLAS, built-in SIMD), and on the conv VAE,
 * whose convolutions run on the kernels' im2col, col2im and channel-major moves.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultRunConfig, loadMnist, subset } from '../src/index.js';
import { jsKernels } from '../src/kernels/js.js';
import { loadNativeKernels } from '../src/kernels/native.js';
import type { Kernels } from '../src/kernels/kernels.js';
import { assertSameCurve, CONV_STEPS, convLossCurve, curveOf, type Curve } from './support/curves.js';

const STEPS = 50;
const mnist = loadMnist();
const data = { ...mnist, train: subset(mnist.train, STEPS * 128), test: subset(mnist.test, 500) };
const native = loadNativeKernels();

function lossCurve(kernels: Kernels): Promise<Curve> {
  const config = defaultRunConfig();
  config.training.epochs = 1;
  return curveOf(kernels, config, data);
}

const gemms = !native.ok ? [] : native.setGemm('openblas') ? (['openblas', 'builtin'] as const) : (['builtin'] as const);
const reference = lossCurve(jsKernels);

for (const gemm of gemms) {
  test(`native (${gemm}) and js kernels give the same loss curve over ${STEPS} steps (relative difference <= 1e-4)`, async () => {
    if (!native.ok) return;
    const js = await reference;
    assert.ok(native.setGemm(gemm));
    const nat = await lossCurve(native.kernels);
    // The run must actually learn, or agreeing would prove little: about 543 nats at step 1.
    assert.ok(js.losses[STEPS - 1]! < 0.5 * js.losses[0]!, `loss ${js.losses[0]} -> ${js.losses[STEPS - 1]}`);
    assertSameCurve(js, nat, STEPS);
  });
}

// Made when first asked for, after the MLP runs above are done: the kernels are global.
let convReference: Promise<Curve> | null = null;

for (const gemm of gemms) {
  test(`conv VAE: native (${gemm}) and js kernels give the same loss curve over ${CONV_STEPS} steps (relative difference <= 1e-4)`, async () => {
    if (!native.ok) return;
    convReference ??= convLossCurve(jsKernels, mnist);
    const js = await convReference;
    assert.ok(native.setGemm(gemm));
    const nat = await convLossCurve(native.kernels, mnist);
    assert.ok(js.losses[CONV_STEPS - 1]! < 0.7 * js.losses[0]!, `loss ${js.losses[0]} -> ${js.losses[CONV_STEPS - 1]}`);
    assertSameCurve(js, nat, CONV_STEPS);
  });
}

test('native runs are reproducible: the same seed gives bit-identical losses', { skip: !native.ok }, async () => {
  if (!native.ok) return;
  const a = await lossCurve(native.kernels);
  const b = await lossCurve(native.kernels);
  assert.deepEqual(a.losses, b.losses);
  assert.equal(a.test, b.test);
});
