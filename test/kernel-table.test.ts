/**
 * What the one kernel table promises: the addon exports exactly the kernels the portable
 * provider has, each checks its arrays from its signature, and the Gaussian likelihood (a
 * kernel by the rule in src/kernels/kernels.ts) agrees between the providers and with its
 * formula, gradients included.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsKernels } from '../src/kernels/js.js';
import { loadNativeKernels } from '../src/kernels/native.js';
import { Random } from '../src/engine/random.js';
import { Tensor, setKernels, kernels as activeKernels } from '../src/engine/tensor.js';
import { gaussianNll } from '../src/engine/ops/gaussian.js';
import { gradcheck } from './support/gradcheck.js';

const native = loadNativeKernels();

function rand(rng: Random, n: number, low = -1, high = 1): Float32Array {
  return rng.fillUniform(new Float32Array(n), low, high);
}

test('native: the table exports every kernel of the portable provider, and nothing else', { skip: !native.ok }, () => {
  if (!native.ok) return;
  const want = Object.keys(jsKernels).sort();
  const got = Object.keys(native.kernels).sort();
  assert.deepEqual(got, want);
  for (const key of want) if (key !== 'name') assert.equal(typeof (native.kernels as unknown as Record<string, unknown>)[key], 'function', key);
});

test('native: arguments of the wrong kind are refused with the kernel and argument named', { skip: !native.ok }, () => {
  if (!native.ok) return;
  const K = native.kernels;
  assert.throws(() => K.relu(new Float64Array(4) as unknown as Float32Array, new Float32Array(4)), /relu: x must be a Float32Array/);
  assert.throws(() => K.relu(new Float32Array(4), new Float32Array(3)), /relu: out is too short: needs 4 values, has 3/);
  assert.throws(() => K.sumRowsInto(new Float32Array(6), 2.5, 3, new Float32Array(3)), /sumRowsInto: rows must be a non-negative integer/);
  assert.throws(() => K.sumRowsInto(new Float32Array(6), -1, 3, new Float32Array(3)), RangeError);
  assert.throws(() => K.gaussianKl(new Float32Array(6), new Float32Array(6), 2, 3, null as unknown as Float32Array), TypeError);
  assert.throws(() => K.adamUpdate([new Float32Array(2)], [], [], [], 1, 0.9, 0.9, 1e-8, 1), /differ in length/);
  assert.throws(
    () => K.gaussianNll(new Float32Array(6), new Float32Array(6), new Float32Array(5), 2, 3, new Float32Array(2)),
    /gaussianNll: x is too short/,
  );
  // A product of dimensions that would wrap around is refused, not truncated.
  assert.throws(() => K.gemm(false, false, 2 ** 31 - 1, 2 ** 31 - 1, 2 ** 31 - 1, 1, new Float32Array(1), new Float32Array(1), 0, new Float32Array(1)), RangeError);
});

/** -log N(x | m, exp(lv)) summed per row, in float64 straight from the formula. */
function nllFormula(m: Float32Array, lv: Float32Array, x: Float32Array, rows: number, cols: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let j = i * cols; j < (i + 1) * cols; j++) {
      const d = x[j]! - m[j]!;
      s += 0.5 * (Math.log(2 * Math.PI) + lv[j]! + (d * d) / Math.exp(lv[j]!));
    }
    out.push(s);
  }
  return out;
}

const providers = [{ label: 'js', K: jsKernels }, ...(native.ok ? [{ label: 'native', K: native.kernels }] : [])];

for (const { label, K } of providers) {
  test(`${label}: gaussianNll matches its formula and the js kernels to the last bits`, () => {
    const rng = new Random(3);
    // Enough rows that the native kernel spreads them over its threads.
    const rows = 300;
    const cols = 97;
    const m = rand(rng, rows * cols);
    const lv = rand(rng, rows * cols, -11, 3);
    const x = rand(rng, rows * cols, 0, 1);
    const out = new Float32Array(rows);
    K.gaussianNll(m, lv, x, rows, cols, out);
    const want = nllFormula(m, lv, x, rows, cols);
    for (let i = 0; i < rows; i++) assert.ok(Math.abs(out[i]! - want[i]!) <= 1e-6 * (1 + Math.abs(want[i]!)), `row ${i}: ${out[i]} vs ${want[i]}`);
    const ref = new Float32Array(rows);
    jsKernels.gaussianNll(m, lv, x, rows, cols, ref);
    for (let i = 0; i < rows; i++) assert.ok(Math.abs(out[i]! - ref[i]!) <= 2 ** -22 * Math.abs(ref[i]!), `row ${i} against js`);

    // Backward: accumulates onto what is there, each gradient only when asked for.
    const gRow = rand(rng, rows);
    const start = rand(rng, rows * cols);
    const gm = start.slice();
    const glv = start.slice();
    const gx = start.slice();
    K.gaussianNllBackward(m, lv, x, gRow, rows, cols, gm, glv, null);
    K.gaussianNllBackward(m, lv, x, gRow, rows, cols, null, null, gx);
    for (let i = 0; i < rows; i++) {
      for (let j = i * cols; j < (i + 1) * cols; j++) {
        const e = Math.exp(-lv[j]!);
        const d = x[j]! - m[j]!;
        const tol = 1e-5 * (1 + Math.abs(gRow[i]! * d * e));
        assert.ok(Math.abs(gm[j]! - (start[j]! - gRow[i]! * d * e)) <= tol, `gMean[${j}]`);
        assert.ok(Math.abs(glv[j]! - (start[j]! + gRow[i]! * 0.5 * (1 - d * d * e))) <= 1e-5 * (1 + Math.abs(gRow[i]! * d * d * e)), `gLogvar[${j}]`);
        assert.ok(Math.abs(gx[j]! - (start[j]! + gRow[i]! * d * e)) <= tol, `gX[${j}]`);
      }
    }
  });

  test(`${label}: the gaussianNll op's gradients match finite differences`, () => {
    const before = activeKernels();
    setKernels(K);
    try {
      const rng = new Random(11);
      const mean = new Tensor(rand(rng, 12), [3, 4], { requiresGrad: true });
      const logvar = new Tensor(rand(rng, 12, -1, 1), [3, 4], { requiresGrad: true });
      const x = new Tensor(rand(rng, 12, 0, 1), [3, 4], { requiresGrad: true });
      gradcheck(`${label} gaussianNll`, gaussianNll, [mean, logvar, x]);
    } finally {
      setKernels(before);
    }
  });
}
