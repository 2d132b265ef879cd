/**
 * Every op's backward against central finite differences on random inputs.
 *
 * The check projects the op's output on a random direction r (L = sum(out * r)), so one
 * backward pass with seed r gives dL/dinput, and compares it with
 * (L(x + h) - L(x - h)) / 2h for every input element. Values are float32, so h and the
 * tolerances are sized for float32 rounding, not float64.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Tensor,
  Random,
  add,
  sub,
  mul,
  div,
  relu,
  sigmoid,
  exp,
  log,
  softplus,
  square,
  neg,
  sum,
  mean,
  reshape,
  concat,
  slice,
  matmul,
  linear,
  bceWithLogits,
  gaussianKl,
  reparameterize,
} from '../src/engine/index.js';
import { VAE } from '../src/vae/model.js';
import { gradcheck, randomTensor } from './support/gradcheck.js';

/** Values kept at least `gap` away from zero, so kinks (relu) are never straddled by h. */
function awayFromZero(t: Tensor, gap = 0.1): Tensor {
  for (let i = 0; i < t.size; i++) {
    const v = t.data[i]!;
    if (Math.abs(v) < gap) t.data[i] = v < 0 ? v - gap : v + gap;
  }
  return t;
}

test('elementwise binary ops, same shape, row broadcast on either side, scalar', () => {
  const rng = new Random(7);
  const ops = { add, sub, mul, div } as const;
  for (const [name, op] of Object.entries(ops)) {
    const positive = name === 'div';
    const a = randomTensor(rng, [3, 4]);
    const b = positive ? randomTensor(rng, [3, 4], 0.5, 2) : randomTensor(rng, [3, 4]);
    gradcheck(`${name} full`, op, [a, b]);
    const row = positive ? randomTensor(rng, [4], 0.5, 2) : randomTensor(rng, [4]);
    gradcheck(`${name} row right`, op, [a, row]);
    const row2 = positive ? randomTensor(rng, [1, 4], 0.5, 2) : randomTensor(rng, [1, 4]);
    gradcheck(`${name} [1,D] right`, op, [a, row2]);
    const c = positive ? randomTensor(rng, [3, 4], 0.5, 2) : randomTensor(rng, [3, 4]);
    gradcheck(`${name} row left`, op, [randomTensor(rng, [4]), c]);
    const s = positive ? randomTensor(rng, [], 0.5, 2) : randomTensor(rng, []);
    gradcheck(`${name} scalar`, op, [a, s]);
  }
});

test('elementwise unary ops', () => {
  const rng = new Random(8);
  gradcheck('relu', relu, [awayFromZero(randomTensor(rng, [4, 5]))]);
  gradcheck('sigmoid', sigmoid, [randomTensor(rng, [4, 5], -4, 4)]);
  gradcheck('exp', exp, [randomTensor(rng, [4, 5])]);
  gradcheck('log', log, [randomTensor(rng, [4, 5], 0.5, 3)]);
  gradcheck('softplus', softplus, [randomTensor(rng, [4, 5], -5, 5)]);
  gradcheck('square', square, [randomTensor(rng, [4, 5])]);
  gradcheck('neg', neg, [randomTensor(rng, [4, 5])]);
});

test('sum and mean, all and along each axis', () => {
  const rng = new Random(9);
  const x = randomTensor(rng, [3, 4]);
  for (const op of [sum, mean]) {
    gradcheck(`${op.name} all`, (t) => op(t), [x]);
    gradcheck(`${op.name} axis 0`, (t) => op(t, 0), [x]);
    gradcheck(`${op.name} axis 1`, (t) => op(t, 1), [x]);
    gradcheck(`${op.name} axis -1`, (t) => op(t, -1), [x]);
    gradcheck(`${op.name} 3-D middle axis`, (t) => op(t, 1), [randomTensor(rng, [2, 3, 4])]);
  }
});

test('reshape, concat and slice along the feature axis', () => {
  const rng = new Random(10);
  gradcheck('reshape', (t) => mul(reshape(t, [4, -1]), reshape(t, [4, 3])), [randomTensor(rng, [3, 4])]);
  gradcheck('concat', (a, b, c) => concat([a, b, c]), [
    randomTensor(rng, [3, 2]),
    randomTensor(rng, [3, 4]),
    randomTensor(rng, [3, 1]),
  ]);
  gradcheck('slice', (t) => slice(t, 1, 4), [randomTensor(rng, [3, 5])]);
  gradcheck('slice then concat', (t) => concat([slice(t, 3, 5), slice(t, 0, 2)]), [randomTensor(rng, [2, 5])]);
});

test('matmul and linear, with and without bias and fused relu', () => {
  const rng = new Random(11);
  gradcheck('matmul', matmul, [randomTensor(rng, [5, 3]), randomTensor(rng, [3, 6])]);
  gradcheck('matmul 4x4 blocks', matmul, [randomTensor(rng, [9, 7]), randomTensor(rng, [7, 10])]);
  const x = randomTensor(rng, [6, 5]);
  const w = randomTensor(rng, [7, 5]);
  const b = randomTensor(rng, [7]);
  gradcheck('linear', (a, c, d) => linear(a, c, d), [x, w, b]);
  gradcheck('linear without bias', (a, c) => linear(a, c, null), [x, w]);
  // Keep every pre-activation away from the ReLU's kink, where differences are meaningless.
  for (let attempt = 0; ; attempt++) {
    const pre = linear(x, w, b);
    if (pre.data.every((v) => Math.abs(v) > 0.05)) break;
    assert.ok(attempt < 100, 'could not draw inputs away from the kink');
    rng.fillUniform(b.data, -1, 1);
  }
  gradcheck('linear + relu', (a, c, d) => linear(a, c, d, 'relu'), [x, w, b]);
  const x2 = randomTensor(rng, [6, 5]);
  for (let attempt = 0; ; attempt++) {
    if (linear(x2, w, null).data.every((v) => Math.abs(v) > 0.05)) break;
    assert.ok(attempt < 100, 'could not draw inputs away from the kink');
    rng.fillUniform(x2.data, -1, 1);
  }
  gradcheck('linear + relu without bias', (a, c) => linear(a, c, null, 'relu'), [x2, w]);
});

test('fused bce with logits, gaussian kl, reparameterize', () => {
  const rng = new Random(12);
  const logits = randomTensor(rng, [4, 6], -6, 6);
  const targets = randomTensor(rng, [4, 6], 0, 1);
  gradcheck('bceWithLogits', bceWithLogits, [logits, targets]);
  const mu = randomTensor(rng, [4, 3]);
  const logvar = randomTensor(rng, [4, 3], -2, 1);
  gradcheck('gaussianKl', gaussianKl, [mu, logvar]);
  const eps = randomTensor(rng, [4, 3], -2, 2);
  gradcheck('reparameterize', reparameterize, [mu, logvar, eps]);
});

test('fused forwards agree with the formulas they replace, and stay finite at extremes', () => {
  const logits = Tensor.from([-100, -3, 0, 2.5, 100, 40], [2, 3]);
  const targets = Tensor.from([0, 1, 0.5, 0.2, 1, 0], [2, 3]);
  const out = bceWithLogits(logits, targets).data;
  const naive = (l: number, t: number): number => {
    // -[t log s + (1 - t) log(1 - s)] in float64 with the limits written out
    const logS = l > 0 ? -Math.log1p(Math.exp(-l)) : l - Math.log1p(Math.exp(l));
    const log1mS = l > 0 ? -l - Math.log1p(Math.exp(-l)) : -Math.log1p(Math.exp(l));
    return -(t * logS + (1 - t) * log1mS);
  };
  for (let r = 0; r < 2; r++) {
    let want = 0;
    for (let j = 0; j < 3; j++) want += naive(logits.data[r * 3 + j]!, targets.data[r * 3 + j]!);
    assert.ok(Number.isFinite(out[r]!));
    assert.ok(Math.abs(out[r]! - want) < 1e-4 * Math.max(1, want), `row ${r}: ${out[r]} vs ${want}`);
  }
  const mu = Tensor.from([0, 1, -2], [1, 3]);
  const logvar = Tensor.from([0, Math.log(4), -1], [1, 3]);
  const kl = gaussianKl(mu, logvar).item();
  const want = 0.5 * (0 + 0 + (1 + 4 - 1 - Math.log(4)) + (4 + Math.exp(-1) - 1 + 1));
  assert.ok(Math.abs(kl - want) < 1e-5, `${kl} vs ${want}`);
  assert.equal(gaussianKl(Tensor.zeros([2, 5]), Tensor.zeros([2, 5])).data[1], 0);
});

test('a whole VAE loss: gradients of every parameter', () => {
  const config = { inputDim: 6, imageHeight: 2, imageWidth: 3, hidden: [5, 4], latent: 2, likelihood: 'bernoulli' } as const;
  const model = new VAE({ ...config, hidden: [5, 4] }, new Random(3));
  const x = new Tensor(new Random(4).fillUniform(new Float32Array(3 * 6)), [3, 6]);
  const params = model.parameters().map(([, t]) => t);
  // The same eps at every evaluation: reseed the generator inside f.
  const f = (): Tensor => model.loss(x, new Random(5)).loss;
  const rng = new Random(6);
  for (const p of params) {
    for (let i = 0; i < p.size; i++) if (Math.abs(p.data[i]!) < 0.05) p.data[i] = rng.uniform() < 0.5 ? -0.2 : 0.2;
  }
  gradcheck('vae loss', f, params);
});

test('backward twice through one graph adds each pass once to the leaves, as torch does', () => {
  const x = Tensor.from([1, 2, 3], [3], true);
  const loss = sum(mul(square(x), 2));
  loss.backward();
  assert.deepEqual([...x.grad!], [4, 8, 12]);
  loss.backward();
  assert.deepEqual([...x.grad!], [8, 16, 24]);
  // Two losses sharing a subgraph: the shared part carries each loss's gradient once.
  const y = Tensor.from([1, 2], [2], true);
  const shared = exp(y);
  sum(shared).backward();
  sum(mul(shared, 3)).backward();
  const e = [Math.exp(1), Math.exp(2)];
  y.grad!.forEach((g, i) => assert.ok(Math.abs(g - 4 * e[i]!) < 1e-5, `${g} vs ${4 * e[i]!}`));
});
