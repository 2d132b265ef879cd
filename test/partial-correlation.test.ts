/**
 * The statistics behind `vae factors`: partial correlations against the textbook formula and
 * against regression residuals computed here by hand, on constructed data with known answers;
 * the regression direction on an exactly linear measure; collapsed dimensions and undefined
 * measures.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Random } from '../src/engine/random.js';
import { correlation, invertMatrix, partialCorrelations, regressionDirection } from '../src/train/partial-correlation.js';

function normals(rng: Random, n: number): Float64Array {
  return Float64Array.from(rng.fillNormal(new Float32Array(n)));
}

function combine(n: number, terms: Array<[number, Float64Array]>, constant = 0): Float64Array {
  const out = new Float64Array(n).fill(constant);
  for (const [w, c] of terms) for (let i = 0; i < n; i++) out[i]! += w * c[i]!;
  return out;
}

/** Residuals of y after least squares on the columns xs (with an intercept), by the normal equations solved here. */
function residuals(y: Float64Array, xs: Float64Array[]): Float64Array {
  const n = y.length;
  const cols = [new Float64Array(n).fill(1), ...xs];
  const k = cols.length;
  const a = new Float64Array(k * k);
  const b = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) for (let t = 0; t < n; t++) a[i * k + j]! += cols[i]![t]! * cols[j]![t]!;
    for (let t = 0; t < n; t++) b[i]! += cols[i]![t]! * y[t]!;
  }
  const inv = invertMatrix(a, k);
  const beta = Array.from({ length: k }, (_, i) => b.reduce((s, v, j) => s + inv[i * k + j]! * v, 0));
  return Float64Array.from(y, (v, t) => v - beta.reduce((s, w, i) => s + w * cols[i]![t]!, 0));
}

test('with one other dimension, the partial correlation is the textbook (r_xy - r_xz r_yz) / sqrt((1 - r_xz^2)(1 - r_yz^2))', () => {
  const rng = new Random(7);
  const n = 2000;
  const a = normals(rng, n);
  const b = normals(rng, n);
  const c = normals(rng, n);
  const z1 = combine(n, [[1, a], [0.5, b]]);
  const z2 = combine(n, [[0.7, a], [1, c]], 3);
  const m = combine(n, [[2, z1], [-0.5, z2], [1.5, normals(rng, n)]]);
  const [p1, p2] = partialCorrelations([z1, z2], m);
  const r = (x: Float64Array, y: Float64Array): number => correlation(x, y);
  const textbook = (xy: number, xz: number, yz: number): number => (xy - xz * yz) / Math.sqrt((1 - xz ** 2) * (1 - yz ** 2));
  assert.ok(Math.abs(p1! - textbook(r(z1, m), r(z1, z2), r(m, z2))) < 1e-7, `${p1}`);
  assert.ok(Math.abs(p2! - textbook(r(z2, m), r(z2, z1), r(m, z1))) < 1e-7, `${p2}`);
  // The plain correlation of z2 with m is positive (z2 shares a with z1); given z1 it is negative, as m was built.
  assert.ok(r(z2, m) > 0.1 && p2! < -0.1, `r ${r(z2, m)}, partial ${p2}`);
});

test('with three dimensions, the partial correlation is the correlation of regression residuals', () => {
  const rng = new Random(11);
  const n = 1500;
  const a = normals(rng, n);
  const z = [combine(n, [[1, a], [1, normals(rng, n)]]), combine(n, [[-1, a], [0.5, normals(rng, n)]]), normals(rng, n)];
  const m = combine(n, [[0.3, z[0]!], [1, z[1]!], [0.05, z[2]!], [1, normals(rng, n)]], 10);
  const partial = partialCorrelations(z, m);
  for (let d = 0; d < 3; d++) {
    const others = z.filter((_, j) => j !== d);
    const expected = correlation(residuals(z[d]!, others), residuals(m, others));
    assert.ok(Math.abs(partial[d]! - expected) < 1e-8, `dim ${d}: ${partial[d]} against ${expected}`);
  }
});

test('a measure that is one dimension exactly gets r = 1 there and 0 elsewhere, however correlated the dimensions', () => {
  const rng = new Random(3);
  const n = 500;
  const a = normals(rng, n);
  const z1 = combine(n, [[1, a], [0.3, normals(rng, n)]]);
  const z2 = combine(n, [[1, a], [0.3, normals(rng, n)]]);
  const [p1, p2] = partialCorrelations([z1, z2], combine(n, [[-4, z1]], 2));
  assert.ok(Math.abs(p1! + 1) < 1e-6, `${p1}`);
  assert.ok(Math.abs(p2!) < 1e-3, `${p2}`);
});

test('a collapsed dimension neither takes nor gives credit, and images without a measure are left out', () => {
  const rng = new Random(5);
  const n = 400;
  const z1 = normals(rng, n);
  const flat = new Float64Array(n).fill(0.25);
  const m = combine(n, [[1, z1], [1, normals(rng, n)]]);
  const [p1, p2] = partialCorrelations([z1, flat], m);
  assert.equal(p2, 0);
  assert.ok(Math.abs(p1! - correlation(z1, m)) < 1e-9);
  const holed = Float64Array.from(m);
  holed[0] = NaN;
  holed[1] = Infinity;
  const [q1] = partialCorrelations([z1, flat], holed);
  const kept = Array.from({ length: n - 2 }, (_, i) => i + 2);
  const expected = correlation(kept.map((i) => z1[i]!), kept.map((i) => m[i]!));
  assert.ok(Math.abs(q1! - expected) < 1e-9, `${q1} against ${expected}`);
});

test('the direction of an exactly linear measure is its coefficient vector, with R = 1 and the slope its length', () => {
  const rng = new Random(9);
  const n = 300;
  const a = normals(rng, n);
  const z1 = combine(n, [[1, a], [0.8, normals(rng, n)]]);
  const z2 = combine(n, [[0.6, a], [1, normals(rng, n)]]);
  const fit = regressionDirection([z1, z2], combine(n, [[3, z1], [-4, z2]], 7));
  assert.ok(Math.abs(fit.vector[0]! - 0.6) < 1e-6 && Math.abs(fit.vector[1]! + 0.8) < 1e-6, `${fit.vector}`);
  assert.ok(Math.abs(fit.r - 1) < 1e-6);
  assert.ok(Math.abs(fit.slope - 5) < 1e-5, `${fit.slope}`);
  // Noise lowers R to the correlation of the measure with its best prediction.
  const noise = normals(rng, n);
  const noisy = regressionDirection([z1, z2], combine(n, [[3, z1], [-4, z2], [5, noise]]));
  assert.ok(noisy.r > 0.4 && noisy.r < 0.95, `${noisy.r}`);
});

test('invertMatrix inverts, and refuses a singular matrix', () => {
  const m = Float64Array.from([4, 1, 2, 1, 3, 0, 2, 0, 5]);
  const inv = invertMatrix(m, 3);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      let s = 0;
      for (let k = 0; k < 3; k++) s += m[i * 3 + k]! * inv[k * 3 + j]!;
      assert.ok(Math.abs(s - (i === j ? 1 : 0)) < 1e-12);
    }
  }
  assert.throws(() => invertMatrix(Float64Array.from([1, 2, 2, 4]), 2), /singular/);
});

test('with no more images than latent dimensions and an intercept, no dimension gets credit and the fit claims nothing', () => {
  const rng = new Random(11);
  const L = 6;
  // Noise: L + 1 rows let the latents and an intercept fit any measure exactly (every r would be +-1).
  const few = L + 1;
  const latents = Array.from({ length: L }, () => normals(rng, few));
  const measure = normals(rng, few);
  assert.deepEqual(partialCorrelations(latents, measure), new Array<number>(L).fill(0));
  assert.equal(regressionDirection(latents, measure).r, 0);
  // One row more and the statistics are computed again: noise now gives values below 1.
  const enough = L + 2;
  const more = Array.from({ length: L }, () => normals(rng, enough));
  const r = partialCorrelations(more, normals(rng, enough));
  assert.ok(r.some((v) => v !== 0) && r.every((v) => Math.abs(v) < 1), `r ${r.join(', ')}`);
});
