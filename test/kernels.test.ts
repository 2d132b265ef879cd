/**
 * Every kernel provider against direct float64 formulas: the js kernels always, and the
 * native addon (which CI builds) with its OpenBLAS matrix product and with its built-in
 * SIMD one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsKernels } from '../src/kernels/js.js';
import { threadedJsKernels } from '../src/kernels/js-threads.js';
import { loadNativeKernels } from '../src/kernels/native.js';
import { assertSameProducts, suite } from './support/kernel-suite.js';

const native = loadNativeKernels();

test('the native addon is built and loads', () => {
  assert.ok(native.ok, native.ok ? '' : native.reason);
});

suite('js', jsKernels, () => {});
const threaded = threadedJsKernels(3);
suite('js (3 threads)', threaded, () => {});

test('js on worker threads gives bit-identical products, call after call, as the sizes grow and shrink', { timeout: 60_000 }, () => {
  assertSameProducts(jsKernels, threaded, [[128, 400, 784], [7, 300, 500], [1000, 20, 400], [130, 784, 20], [64, 64, 300]], 40);
});
if (native.ok) {
  // One addon, several matrix products (OpenBLAS, and built-in kernels for three instruction
  // sets): each test moves it to the one it checks.
  const gemms = (['openblas', 'avx512', 'avx2', 'base'] as const).filter((g) => native.setGemm(g));
  for (const gemm of gemms) {
    suite(`native/${gemm}`, native.kernels, () => assert.ok(native.setGemm(gemm)));
  }
}

test('native: arrays that are too short are refused, not overrun', { skip: !native.ok }, () => {
  if (!native.ok) return;
  const K = native.kernels;
  assert.throws(() => K.gemm(false, false, 4, 4, 4, 1, new Float32Array(16), new Float32Array(15), 0, new Float32Array(16)), RangeError);
  assert.throws(() => K.addBias(new Float32Array(6), new Float32Array(2), 2, 3, false), RangeError);
  assert.throws(() => K.bceWithLogits(new Float32Array(6), new Float32Array(6), 2, 3, new Float32Array(1)), RangeError);
  assert.throws(() => K.adamUpdate([new Float32Array(4)], [new Float32Array(3)], [new Float32Array(4)], [new Float32Array(4)], 1, 0.9, 0.9, 1e-8, 1), RangeError);
  const g = { n: 2, c: 3, h: 5, w: 5, kh: 3, kw: 3, stride: 2, padding: 1, ho: 3, wo: 3 };
  assert.throws(() => K.im2col(new Float32Array(150), g, new Float32Array(27 * 18 - 1)), RangeError);
  assert.throws(() => K.col2im(new Float32Array(27 * 18), g, new Float32Array(149)), RangeError);
  assert.throws(() => K.im2col(new Float32Array(150), { ...g, stride: 0 }, new Float32Array(27 * 18)), RangeError);
  assert.throws(() => K.fromChannelMajor(new Float32Array(30), 2, 3, 5, new Float32Array(2), new Float32Array(30), false), RangeError);
  assert.throws(() => K.sumChannelsInto(new Float32Array(29), 2, 3, 5, new Float32Array(3)), RangeError);
});
