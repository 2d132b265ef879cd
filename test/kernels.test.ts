/** The js kernels against direct float64 formulas. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsKernels as K } from '../src/kernels/js.js';
import { Random } from '../src/engine/random.js';

function rand(rng: Random, n: number): Float32Array {
  return rng.fillUniform(new Float32Array(n), -1, 1);
}

/** C = alpha op(A) op(B) + beta C, in float64, one element at a time. */
function naiveGemm(
  ta: boolean, tb: boolean, m: number, n: number, k: number,
  alpha: number, a: Float32Array, b: Float32Array, beta: number, c: Float32Array,
): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += (ta ? a[p * m + i]! : a[i * k + p]!) * (tb ? b[j * k + p]! : b[p * n + j]!);
      out[i * n + j] = alpha * s + beta * c[i * n + j]!;
    }
  }
  return out;
}

test('gemm matches the definition for every transpose, odd sizes, alpha and beta', () => {
  const rng = new Random(1);
  // Sizes straddle the 4 x 4 blocks and the column panels (k = 300 gives panels of 216).
  const shapes: Array<[number, number, number]> = [[1, 1, 1], [5, 7, 3], [8, 8, 8], [13, 250, 300], [4, 9, 1]];
  for (const [m, n, k] of shapes) {
    for (const ta of [false, true]) {
      for (const tb of [false, true]) {
        for (const [alpha, beta] of [[1, 0], [0.5, 1], [-2, 0.25]] as const) {
          const a = rand(rng, m * k);
          const b = rand(rng, k * n);
          const c = rand(rng, m * n);
          const want = naiveGemm(ta, tb, m, n, k, alpha, a, b, beta, c);
          K.gemm(ta, tb, m, n, k, alpha, a, b, beta, c);
          for (let i = 0; i < want.length; i++) {
            assert.ok(Math.abs(c[i]! - want[i]!) <= 1e-5 * (1 + Math.abs(want[i]!)) * Math.sqrt(k),
              `m=${m} n=${n} k=${k} ta=${ta} tb=${tb}: C[${i}] = ${c[i]}, expected ${want[i]}`);
          }
        }
      }
    }
  }
});

test('gemm with beta = 0 ignores garbage in C', () => {
  const rng = new Random(2);
  const a = rand(rng, 6 * 5);
  const b = rand(rng, 5 * 7);
  const c = new Float32Array(6 * 7).fill(Number.NaN);
  K.gemm(false, false, 6, 7, 5, 1, a, b, 0, c);
  assert.ok(c.every(Number.isFinite));
});

test('addBias with and without relu, sumRowsInto', () => {
  const y = Float32Array.from([1, -2, 3, -4, 5, -6]);
  K.addBias(y, Float32Array.from([1, 1, -10]), 2, 3, false);
  assert.deepEqual([...y], [2, -1, -7, -3, 6, -16]);
  const z = Float32Array.from([1, -2, 3, -4, 5, -6]);
  K.addBias(z, Float32Array.from([1, 1, -10]), 2, 3, true);
  assert.deepEqual([...z], [2, 0, 0, 0, 6, 0]);
  const out = Float32Array.from([100, 0, 0]);
  K.sumRowsInto(Float32Array.from([1, 2, 3, 4, 5, 6]), 2, 3, out);
  assert.deepEqual([...out], [105, 7, 9]);
});

test('adamStep follows torch.optim.Adam step by step', () => {
  const rng = new Random(3);
  const n = 50;
  const p = rand(rng, n);
  const ref = Float64Array.from(p);
  const m = new Float32Array(n);
  const v = new Float32Array(n);
  const mr = new Float64Array(n);
  const vr = new Float64Array(n);
  const [lr, b1, b2, eps] = [1e-2, 0.9, 0.999, 1e-8];
  for (let t = 1; t <= 20; t++) {
    const g = rand(rng, n);
    K.adamStep(p, g, m, v, lr, b1, b2, eps, t);
    for (let i = 0; i < n; i++) {
      mr[i] = b1 * mr[i]! + (1 - b1) * g[i]!;
      vr[i] = b2 * vr[i]! + (1 - b2) * g[i]! * g[i]!;
      const mhat = mr[i]! / (1 - b1 ** t);
      const vhat = vr[i]! / (1 - b2 ** t);
      ref[i] = ref[i]! - (lr * mhat) / (Math.sqrt(vhat) + eps);
    }
  }
  for (let i = 0; i < n; i++) assert.ok(Math.abs(p[i]! - ref[i]!) < 1e-5, `param ${i}: ${p[i]} vs ${ref[i]}`);
  // The first step of Adam moves each parameter by about lr, whatever the gradient's scale.
  const q = new Float32Array(1);
  K.adamStep(q, Float32Array.of(1e-3), new Float32Array(1), new Float32Array(1), 0.1, b1, b2, eps, 1);
  assert.ok(Math.abs(q[0]! + 0.1) < 1e-4);
});

test('reparameterize computes mu + sigma * eps', () => {
  const mu = Float32Array.from([0, 1, -1]);
  const logvar = Float32Array.from([0, Math.log(4), Math.log(0.25)]);
  const eps = Float32Array.from([1, -1, 2]);
  const z = new Float32Array(3);
  K.reparameterize(mu, logvar, eps, z);
  assert.deepEqual([...z].map((x) => Math.round(x * 1e5) / 1e5 + 0), [1, -1, 0]);
});
