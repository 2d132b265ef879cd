/** Gradient checks of the ops behind the VAE family: Gaussian likelihood, IWAE, convolutions. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Random,
  Tensor,
  conv2d,
  convTranspose2d,
  gaussianNll,
  logSumExp,
  repeatRows,
} from '../src/engine/index.js';
import { flooredLogvar, gaussianMeanFrom } from '../src/vae/likelihood.js';
import { gradcheck, randomTensor } from './support/gradcheck.js';

test('gaussianNll: gradients in mean, log-variance and x; value against the density formula', () => {
  const rng = new Random(21);
  const mean = randomTensor(rng, [3, 5]);
  const logvar = randomTensor(rng, [3, 5], -2, 1);
  const x = randomTensor(rng, [3, 5]);
  gradcheck('gaussianNll', gaussianNll, [mean, logvar, x]);
  const nll = gaussianNll(Tensor.from([0, 1], [1, 2]), Tensor.from([0, Math.log(4)], [1, 2]), Tensor.from([1, 1], [1, 2])).item();
  // -log N(1 | 0, 1) - log N(1 | 1, 4)
  const want = 0.5 * (Math.log(2 * Math.PI) + 1) + 0.5 * (Math.log(2 * Math.PI) + Math.log(4));
  assert.ok(Math.abs(nll - want) < 1e-5, `${nll} vs ${want}`);
});

test('the Gaussian decoder loss path: sigmoid mean and floored log-variance into gaussianNll', () => {
  const rng = new Random(27);
  // Raw outputs on both sides of 0, where the sigmoid bends, and pixels in [0, 1).
  const rawMean = randomTensor(rng, [3, 6], -4, 4);
  const rawLogvar = randomTensor(rng, [3, 6], -3, 1);
  const x = randomTensor(rng, [3, 6], 0, 1);
  const nll = (m: Tensor, lv: Tensor, t: Tensor): Tensor => gaussianNll(gaussianMeanFrom(m, 'sigmoid'), flooredLogvar(lv), t);
  gradcheck('gaussianNll(sigmoid(m), floored lv, x)', (m, lv, t) => nll(m, lv, t), [rawMean, rawLogvar, x]);
  // Near the floor, where its softplus bends (lv in floor +- 1).
  const nearFloor = randomTensor(rng, [2, 4], -12.1, -10.1);
  gradcheck('near the log-variance floor', (m, lv, t) => nll(m, lv, t), [randomTensor(rng, [2, 4], -3, 3), nearFloor, randomTensor(rng, [2, 4], 0, 1)], 1, 1e-3);
  // unbounded leaves the output alone; sigmoid is the logistic function.
  const out = Tensor.from([-2, 0, 3], [1, 3]);
  assert.equal(gaussianMeanFrom(out, 'unbounded'), out);
  assert.deepEqual([...gaussianMeanFrom(out, 'sigmoid').data].map((v) => +v.toFixed(6)), [-2, 0, 3].map((v) => +(1 / (1 + Math.exp(-v))).toFixed(6)));
});

test('logSumExp: gradient is the softmax; stable for large and very negative values', () => {
  const rng = new Random(22);
  gradcheck('logSumExp', logSumExp, [randomTensor(rng, [4, 6], -3, 3)]);
  gradcheck('logSumExp 1-D', logSumExp, [randomTensor(rng, [5], -3, 3)]);
  const big = logSumExp(Tensor.from([1000, 1000, -1e30, -5000], [2, 2])).data;
  assert.ok(Math.abs(big[0]! - (1000 + Math.log(2))) < 1e-3, `${big[0]}`);
  assert.ok(Math.abs(big[1]! - -5000) < 1e-3, `${big[1]}`);
});

test('repeatRows: copies each row k times in place, sums the copies back', () => {
  const rng = new Random(23);
  gradcheck('repeatRows', (t) => repeatRows(t, 3), [randomTensor(rng, [2, 4])]);
  assert.deepEqual([...repeatRows(Tensor.from([1, 2, 3, 4], [2, 2]), 2).data], [1, 2, 1, 2, 3, 4, 3, 4]);
});

test('conv2d: gradients for stride 1 and 2, with and without padding and bias', () => {
  const rng = new Random(24);
  const x = randomTensor(rng, [2, 3, 6, 5]);
  const w = randomTensor(rng, [4, 3, 3, 3]);
  const b = randomTensor(rng, [4]);
  gradcheck('conv2d s1 p0', (a, c, d) => conv2d(a, c, d), [x, w, b]);
  gradcheck('conv2d s2 p1', (a, c, d) => conv2d(a, c, d, { stride: 2, padding: 1 }), [x, w, b]);
  gradcheck('conv2d 2x2 no bias', (a, c) => conv2d(a, c, null, { stride: 2 }), [x, randomTensor(rng, [2, 3, 2, 2])]);
});

test('conv2d agrees with a direct sum over the window', () => {
  const rng = new Random(25);
  const x = randomTensor(rng, [2, 2, 5, 5]);
  const w = randomTensor(rng, [3, 2, 3, 3]);
  const b = randomTensor(rng, [3]);
  const y = conv2d(x, w, b, { stride: 2, padding: 1 });
  assert.deepEqual(y.shape, [2, 3, 3, 3]);
  for (let n = 0; n < 2; n++)
    for (let o = 0; o < 3; o++)
      for (let oy = 0; oy < 3; oy++)
        for (let ox = 0; ox < 3; ox++) {
          let s = b.data[o]!;
          for (let c = 0; c < 2; c++)
            for (let i = 0; i < 3; i++)
              for (let j = 0; j < 3; j++) {
                const iy = oy * 2 - 1 + i;
                const ix = ox * 2 - 1 + j;
                if (iy < 0 || iy >= 5 || ix < 0 || ix >= 5) continue;
                s += x.data[((n * 2 + c) * 5 + iy) * 5 + ix]! * w.data[((o * 2 + c) * 3 + i) * 3 + j]!;
              }
          const got = y.data[((n * 3 + o) * 3 + oy) * 3 + ox]!;
          assert.ok(Math.abs(got - s) < 1e-5, `y[${n},${o},${oy},${ox}] = ${got}, direct sum ${s}`);
        }
});

test('convTranspose2d: gradients, output size, and adjointness with conv2d', () => {
  const rng = new Random(26);
  const x = randomTensor(rng, [2, 3, 4, 3]);
  const w = randomTensor(rng, [3, 2, 3, 3]);
  const b = randomTensor(rng, [2]);
  gradcheck('convTranspose2d s1', (a, c, d) => convTranspose2d(a, c, d), [x, w, b]);
  gradcheck('convTranspose2d s2 p1 op1', (a, c, d) => convTranspose2d(a, c, d, { stride: 2, padding: 1, outputPadding: 1 }), [x, w, b]);
  const y = convTranspose2d(randomTensor(rng, [1, 64, 7, 7]), randomTensor(rng, [64, 32, 3, 3]), null, { stride: 2, padding: 1, outputPadding: 1 });
  assert.deepEqual(y.shape, [1, 32, 14, 14]);
  // <conv(u), v> = <u, convT(v)> with the same weights: the transpose really is the adjoint.
  const u = randomTensor(rng, [2, 2, 8, 8]);
  const k = randomTensor(rng, [3, 2, 3, 3]);
  const cu = conv2d(u, k, null, { stride: 2, padding: 1 });
  const v = randomTensor(rng, cu.shape as number[]);
  const tv = convTranspose2d(v, k, null, { stride: 2, padding: 1, outputPadding: 1 });
  assert.deepEqual(tv.shape, u.shape);
  let left = 0;
  let right = 0;
  for (let i = 0; i < cu.size; i++) left += cu.data[i]! * v.data[i]!;
  for (let i = 0; i < u.size; i++) right += u.data[i]! * tv.data[i]!;
  assert.ok(Math.abs(left - right) < 1e-4 * Math.max(1, Math.abs(left)), `${left} vs ${right}`);
});

test('a small conv stack end to end: conv then transposed conv', () => {
  const rng = new Random(27);
  const x = randomTensor(rng, [2, 1, 8, 8]);
  const w1 = randomTensor(rng, [4, 1, 3, 3]);
  const w2 = randomTensor(rng, [4, 1, 3, 3]);
  gradcheck(
    'conv stack',
    (a, c, d) => {
      const h = conv2d(a, c, null, { stride: 2, padding: 1 });
      return convTranspose2d(h, d, null, { stride: 2, padding: 1, outputPadding: 1 });
    },
    [x, w1, w2],
  );
});
