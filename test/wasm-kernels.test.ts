/**
 * The wasm kernels against the same float64 formulas as every other provider (the shared
 * suite), on one thread and with the matrix product split over worker threads; and the
 * threaded product against the single-threaded one, call after call, as sizes change and the
 * shared memory grows.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadWasmKernels } from '../src/kernels/wasm.js';
import { assertSameProducts, suite } from './support/kernel-suite.js';

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
  const K = single.kernels;
  assert.throws(() => K.gemm(false, false, 4, 4, 4, 1, new Float32Array(16), new Float32Array(15), 0, new Float32Array(16)), RangeError);
  assert.throws(() => K.gemm(false, false, 4, 4, 4, 1, new Float32Array(16), new Float32Array(16), 0, new Float32Array(15)), RangeError);
  assert.throws(() => K.addBias(new Float32Array(6), new Float32Array(2), 2, 3, false), RangeError);
  assert.throws(() => K.bceWithLogits(new Float32Array(6), new Float32Array(6), 2, 3, new Float32Array(1)), RangeError);
  assert.throws(() => K.adamUpdate([new Float32Array(4)], [new Float32Array(3)], [new Float32Array(4)], [new Float32Array(4)], 1, 0.9, 0.9, 1e-8, 1), RangeError);
  const g = { n: 2, c: 3, h: 5, w: 5, kh: 3, kw: 3, stride: 2, padding: 1, ho: 3, wo: 3 };
  assert.throws(() => K.im2col(new Float32Array(150), g, new Float32Array(27 * 18 - 1)), RangeError);
  assert.throws(() => K.col2im(new Float32Array(27 * 18), g, new Float32Array(149)), RangeError);
  assert.throws(() => K.im2col(new Float32Array(150), { ...g, stride: 0 }, new Float32Array(27 * 18)), RangeError);
  assert.throws(() => K.sumChannelsInto(new Float32Array(29), 2, 3, 5, new Float32Array(3)), RangeError);
});
