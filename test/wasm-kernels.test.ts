/**
 * The wasm kernels against the same float64 formulas as every other provider (the shared
 * suite), on one thread and with the matrix product split over worker threads; and the
 * threaded product against the single-threaded one, call after call, as sizes change and the
 * shared memory grows.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadWasmKernels } from '../src/kernels/wasm.js';
import { Random } from '../src/engine/random.js';
import { rand, suite } from './support/kernel-suite.js';

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
  const rng = new Random(9);
  // Tall and wide shapes (split by rows, by columns), one large enough to grow the memory.
  const shapes: Array<[number, number, number]> = [[128, 400, 784], [7, 300, 500], [1000, 20, 400], [130, 784, 20], [64, 64, 300], [600, 2000, 700]];
  for (let round = 0; round < 24; round++) {
    const [m, n, k] = shapes[round % shapes.length]!;
    const ta = round % 3 === 1;
    const tb = round % 2 === 1;
    const beta = round % 4 === 3 ? 0.5 : 0;
    const a = rand(rng, m * k);
    const b = rand(rng, k * n);
    const c0 = rand(rng, m * n);
    const want = c0.slice();
    single.kernels.gemm(ta, tb, m, n, k, 1.5, a, b, beta, want);
    const got = c0.slice();
    threaded.kernels.gemm(ta, tb, m, n, k, 1.5, a, b, beta, got);
    assert.deepEqual(got, want, `round ${round}: m=${m} n=${n} k=${k} ta=${ta} tb=${tb} beta=${beta}`);
  }
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
