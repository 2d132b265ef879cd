/**
 * The checks every kernel provider must pass, against direct float64 formulas: one suite of
 * tests per provider (test/kernels.test.ts runs it for js and native, test/wasm-kernels.test.ts
 * for wasm).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsKernels } from '../../src/kernels/js.js';
import type { Kernels } from '../../src/kernels/kernels.js';
import { Random } from '../../src/engine/random.js';

export function rand(rng: Random, n: number): Float32Array {
  return rng.fillUniform(new Float32Array(n), -1, 1);
}

/**
 * A matrix product split over threads gives bit for bit the product of `reference`, round
 * after round, as the sizes grow and shrink: every transposition, alpha 1.5, beta 0 or 0.5.
 */
export function assertSameProducts(reference: Kernels, threaded: Kernels, shapes: readonly (readonly [number, number, number])[], rounds: number): void {
  const rng = new Random(9);
  for (let round = 0; round < rounds; round++) {
    const [m, n, k] = shapes[round % shapes.length]!;
    const ta = round % 3 === 1;
    const tb = round % 2 === 1;
    const beta = round % 4 === 3 ? 0.5 : 0;
    const a = rand(rng, m * k);
    const b = rand(rng, k * n);
    const c0 = rand(rng, m * n);
    const want = c0.slice();
    reference.gemm(ta, tb, m, n, k, 1.5, a, b, beta, want);
    const got = c0.slice();
    threaded.gemm(ta, tb, m, n, k, 1.5, a, b, beta, got);
    assert.deepEqual(got, want, `round ${round}: m=${m} n=${n} k=${k} ta=${ta} tb=${tb} beta=${beta}`);
  }
}

/** A compiled provider (native, wasm) checks its arrays' lengths: one too short is refused with a RangeError, not overrun. */
export function assertShortArraysRefused(K: Kernels): void {
  assert.throws(() => K.gemm(false, false, 4, 4, 4, 1, new Float32Array(16), new Float32Array(15), 0, new Float32Array(16)), RangeError);
  assert.throws(() => K.gemm(false, false, 4, 4, 4, 1, new Float32Array(16), new Float32Array(16), 0, new Float32Array(15)), RangeError);
  assert.throws(() => K.addBias(new Float32Array(6), new Float32Array(2), 2, 3, false), RangeError);
  assert.throws(() => K.bceWithLogits(new Float32Array(6), new Float32Array(6), 2, 3, new Float32Array(1)), RangeError);
  assert.throws(() => K.adamUpdate([new Float32Array(4)], [new Float32Array(3)], [new Float32Array(4)], [new Float32Array(4)], 1, 0.9, 0.9, 1e-8, 1), RangeError);
  const g = { n: 2, c: 3, h: 5, w: 5, kh: 3, kw: 3, stride: 2, padding: 1, ho: 3, wo: 3 };
  assert.throws(() => K.im2col(new Float32Array(150), g, new Float32Array(27 * 18 - 1)), RangeError);
  assert.throws(() => K.col2im(new Float32Array(27 * 18), g, new Float32Array(149)), RangeError);
  assert.throws(() => K.im2col(new Float32Array(150), { ...g, stride: 0 }, new Float32Array(27 * 18)), RangeError);
  assert.throws(() => K.fromChannelMajor(new Float32Array(30), 2, 3, 5, new Float32Array(2), new Float32Array(30), false), RangeError);
  assert.throws(() => K.sumChannelsInto(new Float32Array(29), 2, 3, 5, new Float32Array(3)), RangeError);
}

/** C = alpha op(A) op(B) + beta C, in float64, one element at a time. */
export function naiveGemm(
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

export function close(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    // The message is built only on failure: formatting it for each of a million elements cost seconds.
    if (!(Math.abs(got[i]! - want[i]!) <= tol * (1 + Math.abs(want[i]!)))) assert.fail(`${what}[${i}] = ${got[i]}, expected ${want[i]}`);
  }
}

export function suite(label: string, K: Kernels, before: () => void = () => {}): void {
  test(`${label}: gemm matches the definition for every transpose, odd sizes, alpha and beta`, () => {
    before();
    const rng = new Random(1);
    // Sizes straddle every blocking in use: the js 4 x 4 blocks and column panels, and the
    // native micro-tiles (up to 8 x 32) and cache blocks (k by 256, rows by 96, columns by 2048).
    const shapes: Array<[number, number, number]> = [[1, 1, 1], [5, 7, 3], [8, 8, 8], [13, 250, 300], [4, 9, 1], [100, 70, 600], [9, 2100, 40]];
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

  test(`${label}: gemm with beta = 0 ignores garbage in C`, () => {
    before();
    const rng = new Random(2);
    const a = rand(rng, 6 * 5);
    const b = rand(rng, 5 * 7);
    const c = new Float32Array(6 * 7).fill(Number.NaN);
    K.gemm(false, false, 6, 7, 5, 1, a, b, 0, c);
    assert.ok(c.every(Number.isFinite));
  });

  test(`${label}: addBias with and without relu, sumRowsInto`, () => {
    before();
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

  test(`${label}: adamUpdate follows torch.optim.Adam step by step`, () => {
    before();
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
      K.adamUpdate([p], [g], [m], [v], lr, b1, b2, eps, t);
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
    K.adamUpdate([q], [Float32Array.of(1e-3)], [new Float32Array(1)], [new Float32Array(1)], 0.1, b1, b2, eps, 1);
    assert.ok(Math.abs(q[0]! + 0.1) < 1e-4);
  });

  test(`${label}: reparameterize computes mu + sigma * eps`, () => {
    before();
    const mu = Float32Array.from([0, 1, -1]);
    const logvar = Float32Array.from([0, Math.log(4), Math.log(0.25)]);
    const eps = Float32Array.from([1, -1, 2]);
    const z = new Float32Array(3);
    K.reparameterize(mu, logvar, eps, z);
    assert.deepEqual([...z].map((x) => Math.round(x * 1e5) / 1e5 + 0), [1, -1, 0]);
  });

  test(`${label}: bceWithLogits and its backward against float64, extreme logits included`, () => {
    before();
    const rng = new Random(4);
    const rows = 3;
    const cols = 37; // not a multiple of any vector width
    const x = rng.fillUniform(new Float32Array(rows * cols), -8, 8);
    x[0] = 100; x[1] = -100; x[2] = 0; x[3] = 30; x[4] = -30; x[5] = 1e-6;
    const t = Float32Array.from({ length: rows * cols }, (_, i) => (i % 5 === 0 ? 1 : i % 5 === 1 ? 0.3 : 0));
    const want = new Float64Array(rows);
    const wantDelta = new Float64Array(rows * cols);
    for (let i = 0; i < rows * cols; i++) {
      const xi = x[i]!;
      const ti = t[i]!;
      want[Math.floor(i / cols)]! += Math.max(xi, 0) - xi * ti + Math.log1p(Math.exp(-Math.abs(xi)));
      wantDelta[i] = 1 / (1 + Math.exp(-xi)) - ti;
    }
    const out = new Float32Array(rows);
    const delta = new Float32Array(rows * cols);
    K.bceWithLogits(x, t, rows, cols, out, delta);
    close(out, want, 1e-6, 'loss');
    close(delta, wantDelta, 1e-6, 'delta');
    const plain = new Float32Array(rows);
    K.bceWithLogits(x, t, rows, cols, plain);
    close(plain, want, 1e-6, 'loss without delta');

    const gRow = Float32Array.from([1, -2, 0.5]);
    const wantG = Float64Array.from(wantDelta, (d, i) => 0.25 + gRow[Math.floor(i / cols)]! * d);
    const wantGt = Float64Array.from(x, (xi, i) => -1 - gRow[Math.floor(i / cols)]! * xi);
    for (const stored of [null, delta]) {
      const g = new Float32Array(rows * cols).fill(0.25);
      const gt = new Float32Array(rows * cols).fill(-1);
      K.bceWithLogitsBackward(x, t, gRow, rows, cols, g, gt, stored);
      close(g, wantG, 1e-6, stored ? 'gLogits from delta' : 'gLogits');
      close(gt, wantGt, 1e-6, 'gTargets');
    }
  });

  test(`${label}: gaussianKl, reparameterize and their backward passes`, () => {
    before();
    const rng = new Random(5);
    const rows = 4;
    const cols = 5;
    const mu = rand(rng, rows * cols);
    const lv = rng.fillUniform(new Float32Array(rows * cols), -3, 2);
    const eps = rand(rng, rows * cols);
    const kl = new Float32Array(rows);
    K.gaussianKl(mu, lv, rows, cols, kl);
    const wantKl = new Float64Array(rows);
    for (let i = 0; i < rows * cols; i++) wantKl[Math.floor(i / cols)]! += 0.5 * (mu[i]! ** 2 + Math.exp(lv[i]!) - 1 - lv[i]!);
    close(kl, wantKl, 1e-6, 'kl');
    const gRow = Float32Array.from([1, 2, -1, 0.5]);
    const gMu = new Float32Array(rows * cols).fill(1);
    const gLv = new Float32Array(rows * cols).fill(1);
    K.gaussianKlBackward(mu, lv, gRow, rows, cols, gMu, gLv);
    close(gMu, Float64Array.from(mu, (m, i) => 1 + gRow[Math.floor(i / cols)]! * m), 1e-6, 'gMu');
    close(gLv, Float64Array.from(lv, (l, i) => 1 + gRow[Math.floor(i / cols)]! * 0.5 * (Math.exp(l) - 1)), 1e-6, 'gLogvar');
    const z = new Float32Array(rows * cols);
    K.reparameterize(mu, lv, eps, z);
    close(z, Float64Array.from(mu, (m, i) => m + Math.exp(0.5 * lv[i]!) * eps[i]!), 1e-6, 'z');
    const gz = rand(rng, rows * cols);
    const gMu2 = new Float32Array(rows * cols);
    const gLv2 = new Float32Array(rows * cols);
    K.reparameterizeBackward(lv, eps, gz, gMu2, gLv2);
    close(gMu2, gz, 0, 'gMu from z');
    close(gLv2, Float64Array.from(gz, (g, i) => g * eps[i]! * 0.5 * Math.exp(0.5 * lv[i]!)), 1e-6, 'gLogvar from z');
  });

  test(`${label}: biasActivationBackward masks by the output and sums the bias gradient`, () => {
    before();
    const rng = new Random(6);
    const rows = 70;
    const cols = 530; // big enough for the native loops to split over threads
    const y = rng.fillUniform(new Float32Array(rows * cols), -1, 1).map((v) => Math.max(v, 0));
    const g = rand(rng, rows * cols);
    for (const relu of [true, false]) {
      const pre = new Float32Array(rows * cols).fill(Number.NaN);
      const gBias = new Float32Array(cols).fill(2);
      K.biasActivationBackward(y, g, rows, cols, relu, pre, gBias);
      const wantPre = Float64Array.from(g, (gi, i) => (!relu || y[i]! > 0 ? gi : 0));
      close(pre, wantPre, 0, 'gPre');
      const wantBias = new Float64Array(cols).fill(2);
      for (let i = 0; i < rows * cols; i++) wantBias[i % cols]! += wantPre[i]!;
      close(gBias, wantBias, 1e-5, 'gBias');
    }
  });

  test(`${label}: im2col and col2im follow their definitions, padding, strides and odd windows included`, () => {
    before();
    const rng = new Random(8);
    // [n, c, h, w, kh, kw, stride, padding]: the conv VAE's layers (batch 40, large enough for
    // the native loops to split over threads), odd shapes, and windows that see only padding.
    const cases: Array<[number, number, number, number, number, number, number, number]> = [
      [40, 1, 28, 28, 3, 3, 2, 1], [40, 32, 14, 14, 3, 3, 2, 1], [3, 2, 5, 7, 2, 3, 1, 0],
      [2, 3, 6, 5, 3, 2, 3, 2], [1, 1, 1, 1, 3, 3, 1, 1], [2, 2, 4, 4, 1, 1, 2, 0],
    ];
    for (const [n, c, h, w, kh, kw, stride, padding] of cases) {
      const ho = Math.floor((h + 2 * padding - kh) / stride) + 1;
      // A transposed convolution's geometry can ask for one more position than fits (output padding).
      for (const extra of [0, 1]) {
        const g = { n, c, h, w, kh, kw, stride, padding, ho: ho + extra, wo: Math.floor((w + 2 * padding - kw) / stride) + 1 + extra };
        const what = `geometry ${JSON.stringify(g)}`;
        const P = g.ho * g.wo;
        const x = rand(rng, n * c * h * w);
        const pixel = (b: number, ch: number, iy: number, ix: number): number =>
          iy < 0 || iy >= h || ix < 0 || ix >= w ? -1 : ((b * c + ch) * h + iy) * w + ix;
        const want = new Float64Array(c * kh * kw * n * P);
        const colIn = rand(rng, want.length);
        const x0 = rand(rng, x.length);
        const wantX = Float64Array.from(x0);
        for (let ch = 0; ch < c; ch++) for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) {
          for (let b = 0; b < n; b++) for (let oy = 0; oy < g.ho; oy++) for (let ox = 0; ox < g.wo; ox++) {
            const at = ((ch * kh + i) * kw + j) * n * P + b * P + oy * g.wo + ox;
            const src = pixel(b, ch, oy * stride - padding + i, ox * stride - padding + j);
            want[at] = src < 0 ? 0 : x[src]!;
            if (src >= 0) wantX[src]! += colIn[at]!;
          }
        }
        const col = new Float32Array(want.length).fill(Number.NaN);
        K.im2col(x, g, col);
        close(col, want, 0, `im2col, ${what}`);
        const back = x0.slice();
        K.col2im(colIn, g, back);
        close(back, wantX, 1e-6, `col2im, ${what}`);
      }
    }
  });

  test(`${label}: channel-major moves, channel biases and their sums`, () => {
    before();
    const rng = new Random(9);
    for (const [n, c, s] of [[128, 32, 196], [3, 5, 7], [64, 1, 784]] as const) {
      const x = rand(rng, n * c * s);
      const bias = rand(rng, c);
      const at = (b: number, ch: number, i: number): number => (b * c + ch) * s + i;
      const cm = (b: number, ch: number, i: number): number => (ch * n + b) * s + i;
      const moved = new Float32Array(x.length).fill(Number.NaN);
      K.toChannelMajor(x, n, c, s, moved);
      const wantMoved = new Float64Array(x.length);
      for (let b = 0; b < n; b++) for (let ch = 0; ch < c; ch++) for (let i = 0; i < s; i++) wantMoved[cm(b, ch, i)] = x[at(b, ch, i)]!;
      close(moved, wantMoved, 0, `toChannelMajor ${n}x${c}x${s}`);

      const base = rand(rng, x.length);
      for (const withBias of [false, true]) {
        for (const accumulate of [false, true]) {
          const out = accumulate ? base.slice() : new Float32Array(x.length).fill(Number.NaN);
          K.fromChannelMajor(moved, n, c, s, withBias ? bias : null, out, accumulate);
          const want = new Float64Array(x.length);
          for (let b = 0; b < n; b++) for (let ch = 0; ch < c; ch++) for (let i = 0; i < s; i++) {
            want[at(b, ch, i)] = (accumulate ? base[at(b, ch, i)]! : 0) + x[at(b, ch, i)]! + (withBias ? bias[ch]! : 0);
          }
          close(out, want, 1e-6, `fromChannelMajor ${n}x${c}x${s} bias=${withBias} accumulate=${accumulate}`);
        }
      }

      const y = base.slice();
      K.addChannelBias(y, bias, n, c, s);
      close(y, Float64Array.from(base, (v, i) => v + bias[Math.floor(i / s) % c]!), 1e-6, `addChannelBias ${n}x${c}x${s}`);
      const sums = Float32Array.from(bias);
      K.sumChannelsInto(x, n, c, s, sums);
      const wantSums = Float64Array.from(bias);
      for (let i = 0; i < x.length; i++) wantSums[Math.floor(i / s) % c]! += x[i]!;
      close(sums, wantSums, 1e-5, `sumChannelsInto ${n}x${c}x${s}`);
    }
  });

  test(`${label}: adamUpdate treats each parameter of a list on its own`, () => {
    before();
    const rng = new Random(7);
    const sizes = [3, 40000, 1, 70001];
    const params = sizes.map((n) => rand(rng, n));
    const grads = sizes.map((n) => rand(rng, n));
    const m = sizes.map((n) => new Float32Array(n));
    const v = sizes.map((n) => new Float32Array(n));
    const singles = params.map((p, i) => {
      const q = p.slice();
      jsKernels.adamUpdate([q], [grads[i]!], [new Float32Array(q.length)], [new Float32Array(q.length)], 1e-3, 0.9, 0.999, 1e-8, 1);
      return q;
    });
    K.adamUpdate(params, grads, m, v, 1e-3, 0.9, 0.999, 1e-8, 1);
    params.forEach((p, i) => close(p, singles[i]!, 1e-6, `param ${i}`));
  });
}
