/**
 * The wasm kernels against the same float64 formulas as every other provider (the shared
 * suite), on one thread and with the matrix product split over worker threads; and the
 * threaded product against the single-threaded one, call after call, as sizes change and the
 * shared memory grows.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadWasmKernels } from '../src/kernels/wasm.js';
import { assertSameProducts, assertShortArraysRefused, suite } from './support/kernel-suite.js';

const single = loadWasmKernels(1);
const threaded = loadWasmKernels(3);

test('the wasm kernels load, on one thread and on three', () => {
  assert.ok(single.ok, single.ok ? '' : single.reason);
  assert.ok(threaded.ok, threaded.ok ? '' : threaded.reason);
  assert.equal(single.info.threads, 1);
  assert.equal(threaded.info.threads, 3);
});

if (single.ok) suite('wasm', single.kernels);
if (threaded.ok) suite('wasm (3 threads)', threaded.kernels);

test('wasm on worker threads gives bit-identical products, call after call, as the sizes grow and shrink', { skip: !(single.ok && threaded.ok) }, () => {
  if (!single.ok || !threaded.ok) return;
  // Tall and wide shapes (split by rows, by columns), one large enough to grow the memory.
  assertSameProducts(single.kernels, threaded.kernels, [[128, 400, 784], [7, 300, 500], [1000, 20, 400], [130, 784, 20], [64, 64, 300], [600, 2000, 700]], 24);
});

test('wasm: arrays that are too short are refused, not overrun', { skip: !single.ok }, () => {
  if (!single.ok) return;
  assertShortArraysRefused(single.kernels);
});
