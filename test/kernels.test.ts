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
import { assertSameProducts, assertShortArraysRefused, suite } from './support/kernel-suite.js';

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
  assertShortArraysRefused(native.kernels);
});
