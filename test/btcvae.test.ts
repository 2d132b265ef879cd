/**
 * The beta-TC-VAE objective: the minibatch-weighted sampling estimator's gradient against
 * finite differences, its estimates against the total correlation of Gaussians known in
 * closed form, and the objective against the ELBO it reduces to at beta = 1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Random, Tensor, noGrad } from '../src/engine/index.js';
import { reparameterize } from '../src/engine/ops/fused.js';
import { VAE } from '../src/vae/model.js';
import { betaTcVaeLoss, objectiveLoss, resolveObjective, validateObjective } from '../src/vae/objectives.js';
import { klDecomposition, minibatchTotalCorrelation } from '../src/vae/total-correlation.js';
import { gradcheck, randomTensor } from './support/gradcheck.js';

test('the total correlation estimate has the gradient of finite differences in z, mu and logvar', () => {
  const rng = new Random(3);
  const m = 5;
  const d = 3;
  const z = randomTensor(rng, [m, d], -1.5, 1.5);
  const mu = randomTensor(rng, [m, d], -1, 1);
  const logvar = randomTensor(rng, [m, d], -1, 0.5);
  gradcheck('minibatchTotalCorrelation', (a, b, c) => minibatchTotalCorrelation(a!, b!, c!, 1000), [z, mu, logvar], 7, 1e-2);
});

test('the gradient is also right when z is the reparameterized sample of mu and logvar', () => {
  const rng = new Random(4);
  const eps = new Tensor(rng.fillNormal(new Float32Array(4 * 2)), [4, 2]);
  const mu = randomTensor(rng, [4, 2], -1, 1);
  const logvar = randomTensor(rng, [4, 2], -1, 0.5);
  gradcheck('TC through reparameterize', (a, b) => minibatchTotalCorrelation(reparameterize(a!, b!, eps), a!, b!, 50), [mu, logvar], 8, 1e-2);
});

/**
 * Codes of M "images": posterior means m_i drawn from N(0, 1) per dimension (or one shared draw
 * for every dimension: perfectly correlated means), posterior sd sigma, z_i ~ q(z|x_i). With the
 * batch the whole data set (N = M), q(z) tends to N(0, (1 + sigma^2) I) or to a Gaussian with
 * correlation rho = 1 / (1 + sigma^2) between every pair of dimensions, whose total correlation
 * is -log det(R) / 2.
 */
function codes(m: number, d: number, sigma: number, correlated: boolean, seed: number): { z: Tensor; mu: Tensor; logvar: Tensor } {
  const rng = new Random(seed);
  const mu = new Float32Array(m * d);
  for (let i = 0; i < m; i++) {
    const shared = rng.fillNormal(new Float32Array(1))[0]!;
    const own = rng.fillNormal(new Float32Array(d));
    for (let k = 0; k < d; k++) mu[i * d + k] = correlated ? shared : own[k]!;
  }
  const logvar = new Float32Array(m * d).fill(2 * Math.log(sigma));
  const eps = rng.fillNormal(new Float32Array(m * d));
  const z = mu.map((v, i) => v + sigma * eps[i]!);
  return { z: new Tensor(z, [m, d]), mu: new Tensor(mu, [m, d]), logvar: new Tensor(logvar, [m, d]) };
}

/** The batch mean of the MWS estimate less its constant (D - 1) log N (see total-correlation.ts). */
function meanTc(c: { z: Tensor; mu: Tensor; logvar: Tensor }, n: number): number {
  const tc = minibatchTotalCorrelation(c.z, c.mu, c.logvar, n).data;
  const d = c.z.shape[1]!;
  return tc.reduce((s, v) => s + v, 0) / tc.length - (d - 1) * Math.log(n);
}

test('independent codes have a total correlation near 0 on a large batch', () => {
  const m = 2000;
  const tc = meanTc(codes(m, 2, 0.3, false, 11), m);
  assert.ok(Math.abs(tc) < 0.05, `TC of independent codes ${tc}`);
});

test('correlated codes have the total correlation of the correlated Gaussian', () => {
  const m = 2000;
  const sigma = 0.5;
  const rho = 1 / (1 + sigma * sigma);
  const expected = -0.5 * Math.log(1 - rho * rho); // two dimensions: det R = 1 - rho^2
  const tc = meanTc(codes(m, 2, sigma, true, 12), m);
  assert.ok(expected > 0.5, 'the case is strongly correlated');
  assert.ok(Math.abs(tc - expected) < 0.1, `TC ${tc}, closed form ${expected}`);
});

test('the three parts of the KL add up to the sampled KL, each in its range', () => {
  const c = codes(200, 3, 0.4, true, 13);
  const parts = klDecomposition(c.z, c.mu, c.logvar, 200);
  // log q(z|x) - log p(z) per example, by hand.
  let kl = 0;
  for (let i = 0; i < 200; i++) {
    for (let k = 0; k < 3; k++) {
      const z = c.z.data[i * 3 + k]!;
      const mu = c.mu.data[i * 3 + k]!;
      const lv = c.logvar.data[i * 3 + k]!;
      kl += -0.5 * ((z - mu) ** 2 / Math.exp(lv) + lv) + 0.5 * z * z;
    }
  }
  kl /= 200;
  const sum = parts.mutualInformation + parts.totalCorrelation + parts.dimensionwiseKl;
  assert.ok(Math.abs(sum - kl) < 1e-3, `parts sum to ${sum}, the sampled KL is ${kl}`);
  // The index-code MI of N equally likely images is at most log N; MWS adds log N to its log q(z) terms' gap.
  assert.ok(parts.mutualInformation > Math.log(200) && parts.mutualInformation <= 2 * Math.log(200) + 1e-9, `MI ${parts.mutualInformation}`);
  assert.ok(parts.totalCorrelation - 2 * Math.log(200) > 0.5, `TC ${parts.totalCorrelation}`);
});

test('the estimate depends on the dataset size only through log(N M) per density', () => {
  const c = codes(10, 4, 0.5, false, 14);
  const small = minibatchTotalCorrelation(c.z, c.mu, c.logvar, 10).data;
  const large = minibatchTotalCorrelation(c.z, c.mu, c.logvar, 10000).data;
  // TC = log q(z) - sum_d log q(z_d): the -log(NM) terms leave (D - 1) log(N M).
  for (let i = 0; i < 10; i++) assert.ok(Math.abs(large[i]! - small[i]! - 3 * Math.log(1000)) < 1e-3);
});

function tinyModel(): VAE {
  return new VAE({ inputDim: 16, imageHeight: 4, imageWidth: 4, hidden: [8], latent: 3, likelihood: 'bernoulli' }, new Random(5));
}

function batch(): Tensor {
  const rng = new Random(6);
  return new Tensor(rng.fillUniform(new Float32Array(8 * 16)).map((v) => (v > 0.5 ? 1 : 0)), [8, 16]);
}

test('at beta = 1 the btcvae loss is the ELBO; at beta = 6 it adds 5 times the batch total correlation', () => {
  const model = tinyModel();
  const x = batch();
  const elbo = objectiveLoss(model, x, undefined, new Random(9), resolveObjective({}), 1).loss.item();
  const one = objectiveLoss(model, x, undefined, new Random(9), resolveObjective({ objective: 'btcvae', beta: 1 }), 1, 100).loss.item();
  assert.ok(Math.abs(one - elbo) < 1e-4, `${one} vs ${elbo}`);
  const six = betaTcVaeLoss(model, x, undefined, new Random(9), 6, 100).loss.item();
  // Recompute the TC of the same posterior sample.
  const rng = new Random(9);
  const tc = noGrad(() => {
    const p = model.encode(x);
    const z = model.reparameterize(p, rng);
    return minibatchTotalCorrelation(z, p.mu, p.logvar, 100).data;
  });
  const meanTcValue = tc.reduce((s, v) => s + v, 0) / tc.length;
  assert.ok(Math.abs(six - (elbo + 5 * meanTcValue)) < 1e-3, `${six} vs ${elbo} + 5 * ${meanTcValue}`);
});

test('the btcvae loss trains: its gradient reaches every parameter', () => {
  const model = tinyModel();
  const terms = betaTcVaeLoss(model, batch(), undefined, new Random(2), 6, 100);
  terms.loss.backward();
  for (const [name, t] of model.parameters()) assert.ok(t.grad !== null && t.grad.some((g) => g !== 0), `${name} has no gradient`);
});

test('btcvae refuses settings it does not take, and needs the dataset size', () => {
  assert.doesNotThrow(() => validateObjective({ objective: 'btcvae', beta: 6 }));
  assert.throws(() => validateObjective({ objective: 'btcvae', beta: 6, klWarmup: 10 }), /btcvae objective weights its total correlation/);
  assert.throws(() => validateObjective({ objective: 'btcvae', k: 5 }), /needs the iwae objective/);
  assert.throws(
    () => objectiveLoss(tinyModel(), batch(), undefined, new Random(1), resolveObjective({ objective: 'btcvae', beta: 6 }), 1),
    /needs the size of the training set/,
  );
  assert.throws(() => minibatchTotalCorrelation(Tensor.zeros([4, 2]), Tensor.zeros([4, 2]), Tensor.zeros([4, 2]), 3), /dataset size/);
});
