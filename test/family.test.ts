/**
 * The VAE family as a library: likelihoods and dequantization, beta and KL warm-up, the
 * importance-weighted bound, latent statistics, the conditional VAE, the conv VAE.
 * Models are small and trained briefly; each test checks numbers the model reaches.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  LOGVAR_FLOOR,
  Random,
  Tensor,
  VAE,
  batches,
  bitsPerDim,
  createTrainingState,
  defaultRunConfig,
  evaluate,
  flooredLogvar,
  importanceWeightedNll,
  klWeightAt,
  latentStatistics,
  loadMnist,
  subset,
  train,
  validateObjective,
  type DataSplits,
  type ImageDataset,
  type RunConfig,
  type VaeConfig,
  useKernels,
} from '../src/index.js';
import { gradcheck } from './support/gradcheck.js';
import { datasetFloats } from '../src/data/dataset.js';

// What these models learn does not depend on the kernels: train on the native ones when built,
// as the CLI does (the js kernels are held to the native ones in kernels.test and native-training.test).
useKernels('auto');
const mnist = loadMnist();

function small(trainCount: number, testCount: number): DataSplits {
  return { ...mnist, train: subset(mnist.train, trainCount), test: subset(mnist.test, testCount) };
}

function config(model: Partial<VaeConfig>, training: Partial<RunConfig['training']> = {}): RunConfig {
  const c = defaultRunConfig();
  c.model = { ...c.model, hidden: [64], latent: 4, ...model };
  c.training = { ...c.training, epochs: 1, batchSize: 32, ...training };
  return c;
}

test('the Gaussian log-variance floor: never below it, equal to the raw value well above it', () => {
  const raw = Tensor.from([-1000, LOGVAR_FLOOR, -3, 0, 5], [1, 5]);
  const lv = flooredLogvar(raw).data;
  assert.ok(lv.every((v) => v > LOGVAR_FLOOR - 1e-4), `${[...lv]}`);
  assert.ok(Math.abs(lv[0]! - LOGVAR_FLOOR) < 1e-4);
  assert.ok(Math.abs(lv[1]! - (LOGVAR_FLOOR + Math.LN2)) < 1e-4, 'softplus(0) = log 2 above the floor');
  assert.ok(Math.abs(lv[3]! - 0) < 1e-4 && Math.abs(lv[4]! - 5) < 1e-4);
  assert.ok(Math.abs(LOGVAR_FLOOR - Math.log(1 / 256 ** 2)) < 1e-12, 'the floor is one grey level as standard deviation');
});

test('bits per dimension: a uniform density on dequantized pixels costs exactly 8 bits, a fair coin 1', () => {
  // The uniform density on [0, 1]^D has log p = 0: the dequantization offset alone gives 8 bits.
  assert.equal(bitsPerDim(0, 784, true), 8);
  assert.ok(Math.abs(bitsPerDim(784 * Math.LN2, 784, false) - 1) < 1e-12);
  assert.ok(Math.abs(bitsPerDim(-784 * Math.LN2, 784, true) - 7) < 1e-12);
});

test('dequantized batches: each pixel k/255 becomes (k + u)/256, u ~ U(0, 1), reproducibly', () => {
  const ds: ImageDataset = subset(mnist.test, 50);
  const draw = (): Float32Array => {
    const [b] = [...batches(ds, 50, { shuffle: null, binarize: 'none', rng: new Random(3), dequantize: true })];
    return b!.x.slice();
  };
  const x = draw();
  assert.deepEqual(x, draw(), 'same seed, same noise');
  let uSum = 0;
  for (let i = 0; i < x.length; i++) {
    const k = ds.pixels[i]!;
    const u = x[i]! * 256 - k;
    assert.ok(u >= -1e-3 && u <= 1 + 1e-3, `pixel ${i}: k ${k}, x ${x[i]}`);
    uSum += u;
  }
  assert.ok(Math.abs(uSum / x.length - 0.5) < 0.01, `mean noise ${uSum / x.length}`);
  assert.throws(() => batches(ds, 10, { shuffle: null, binarize: 'dynamic', rng: new Random(1), dequantize: true }), /already discrete/);
});

test('a Gaussian-decoder VAE learns MNIST without NaN: its NELBO falls far below the untrained one', async () => {
  const data = small(3000, 500);
  const state = createTrainingState(config({ likelihood: 'gaussian' }, { epochs: 2 }));
  const before = evaluate(state.model, data.test);
  const history = await train(state, data);
  const last = history[history.length - 1]!;
  for (const m of history) assert.ok(Number.isFinite(m.train_nelbo) && Number.isFinite(m.test_nelbo), JSON.stringify(m));
  // A density on dequantized pixels: negative NELBO (log-density above 0) once it fits the background.
  assert.ok(last.test_nelbo < before.nelbo - 300, `before ${before.nelbo}, after ${last.test_nelbo}`);
  assert.ok(last.test_nelbo < 0, `test NELBO ${last.test_nelbo}`);
  assert.ok(bitsPerDim(last.test_nelbo, 784, true) < 8, 'better than the uniform density');
  assert.equal(state.model.parameters().filter(([n]) => n === 'decoder.logvar.weight').length, 1);
});

test('gaussian-fixed: the reconstruction term is bounded below by the fixed variance, and the mean learns', async () => {
  const sigma = 0.2;
  const data = small(2000, 300);
  const state = createTrainingState(config({ likelihood: 'gaussian-fixed', sigma }));
  const history = await train(state, data);
  const floor = 784 * (0.5 * Math.log(2 * Math.PI) + Math.log(sigma));
  const m = history[0]!;
  assert.ok(m.test_recon > floor, `recon ${m.test_recon} above the perfect-mean limit ${floor}`);
  assert.ok(m.test_recon < floor + 784 * 0.5 * (0.3 / sigma) ** 2, `recon ${m.test_recon}: mean error should be below 0.3 per pixel`);
  assert.throws(() => new VAE({ ...state.model.config, sigma: 0 }, new Random(0)), /sigma must be a number > 0/);
  assert.throws(() => new VAE({ ...state.model.config, likelihood: 'bernoulli' }, new Random(0)), /sigma applies only/);
});

test('beta and KL warm-up: the schedule, and a larger beta buys a smaller KL', async () => {
  assert.equal(klWeightAt({}, 1), 1);
  assert.equal(klWeightAt({ beta: 4 }, 1), 4);
  assert.equal(klWeightAt({ beta: 2, klWarmup: 100 }, 25), 0.5);
  assert.equal(klWeightAt({ beta: 2, klWarmup: 100 }, 100), 2);
  assert.equal(klWeightAt({ beta: 2, klWarmup: 100 }, 5000), 2);
  assert.throws(() => validateObjective({ beta: -1 }), /beta must be a number >= 0/);
  assert.throws(() => validateObjective({ objective: 'iwae', k: 5, beta: 2 }), /iwae objective takes neither/);
  assert.throws(() => validateObjective({ k: 0, objective: 'iwae' }), /k must be an integer/);

  // beta = 0: the loss is the reconstruction term alone.
  const model = new VAE({ ...config({}).model }, new Random(1));
  const x = new Tensor(datasetFloats(mnist.test, 8), [8, 784]);
  const t0 = model.loss(x, new Random(2), { klWeight: 0 });
  const meanRecon = t0.recon.reduce((s, v) => s + v, 0) / 8;
  assert.ok(Math.abs(t0.loss.item() - meanRecon) < 1e-3 * meanRecon);

  const data = small(3000, 500);
  const run = async (beta: number): Promise<number> => {
    const state = createTrainingState(config({}, { beta }));
    const [m] = await train(state, data);
    return m!.test_kl;
  };
  const kl1 = await run(1);
  const kl4 = await run(4);
  assert.ok(kl4 < 0.7 * kl1, `KL with beta 4: ${kl4}, with beta 1: ${kl1}`);
});

test('importance-weighted bound: at least the ELBO, rising with K; streaming does not change it', async () => {
  const data = small(3000, 200);
  const state = createTrainingState(config({}, { binarize: 'dynamic' }));
  await train(state, data);
  const model = state.model;
  const opts = { binarize: 'dynamic' as const };
  const elbo = evaluate(model, data.test, opts).nelbo;
  const iw1 = importanceWeightedNll(model, data.test, 1, opts).nll;
  const iw10 = importanceWeightedNll(model, data.test, 10, opts).nll;
  const iw100 = importanceWeightedNll(model, data.test, 100, opts).nll;
  // K = 1 is an ELBO estimate (a noisier one: sampled rather than closed-form KL).
  assert.ok(Math.abs(iw1 - elbo) < 0.03 * elbo, `K=1: ${iw1}, ELBO ${elbo}`);
  assert.ok(iw10 < elbo - 0.5, `-L_10 ${iw10} should be below the NELBO ${elbo}`);
  assert.ok(iw100 < iw10, `-L_100 ${iw100} should be below -L_10 ${iw10}`);
  // The same draws in chunks of 7 samples, carried by the running log-sum-exp.
  const streamed = importanceWeightedNll(model, subset(data.test, 5), 30, { ...opts, budget: 6 }).nll;
  const whole = importanceWeightedNll(model, subset(data.test, 5), 30, { ...opts, budget: 30 }).nll;
  assert.ok(Math.abs(streamed - whole) < 1e-4 * Math.abs(whole), `streamed ${streamed}, whole ${whole}`);
  assert.throws(() => importanceWeightedNll(model, data.test, 0), /K must be an integer/);
});

test('training on the IWAE objective: gradients check, and it learns', async () => {
  const tiny: VaeConfig = { inputDim: 6, imageHeight: 2, imageWidth: 3, hidden: [5], latent: 2, likelihood: 'bernoulli' };
  const model = new VAE(tiny, new Random(3));
  const x = new Tensor(new Random(4).fillUniform(new Float32Array(3 * 6)), [3, 6]);
  gradcheck('iwae loss', () => model.iwLoss(x, 4, new Random(5)).loss, model.parameters().map(([, t]) => t), 1, 1e-3);
  const gm = new VAE({ ...tiny, likelihood: 'gaussian' }, new Random(3));
  gradcheck('gaussian vae loss', () => gm.loss(x, new Random(5)).loss, gm.parameters().map(([, t]) => t), 1, 1e-3);

  const data = small(2000, 300);
  const state = createTrainingState(config({}, { objective: 'iwae', k: 5, binarize: 'dynamic' }));
  const before = importanceWeightedNll(state.model, data.test, 20, { binarize: 'dynamic' }).nll;
  await train(state, data);
  const after = importanceWeightedNll(state.model, data.test, 20, { binarize: 'dynamic' }).nll;
  assert.ok(after < before - 200, `IW NLL before ${before}, after ${after}`);
});

test('latent statistics: KL per dimension adds up to the KL term; a dead dimension is not active', async () => {
  const data = small(2000, 300);
  const state = createTrainingState(config({}));
  await train(state, data);
  const model = state.model;
  const stats = latentStatistics(model, data.test);
  const ev = evaluate(model, data.test);
  const total = stats.klPerDim.reduce((s, v) => s + v, 0);
  assert.ok(Math.abs(total - ev.kl) < 1e-4 * ev.kl, `sum of kl_per_dim ${total}, KL ${ev.kl}`);
  assert.equal(stats.klPerDim.length, 4);
  assert.ok(stats.activeUnits >= 1);
  // Silence dimension 0: a posterior mean that ignores x.
  const enc = model.parameters().filter(([n]) => n.startsWith('encoder.mu.'));
  const [[, w], [, b]] = enc as [[string, Tensor], [string, Tensor]];
  w.data.fill(0, 0, w.shape[1]!);
  b.data[0] = 0.3;
  const dead = latentStatistics(model, data.test);
  assert.equal(dead.meanVariance[0], 0);
  assert.equal(dead.activeUnits, stats.activeUnits - (stats.meanVariance[0]! > 0.01 ? 1 : 0));
});

test('conditional VAE: decoded means of class d are closest to the class-d test mean image', async () => {
  // A 2-D latent leaves the style to z and the class to y; with less training 9s still come out 4-like.
  const data = small(20000, 2000);
  const state = createTrainingState(config({ classes: 10, hidden: [256], latent: 2 }, { epochs: 2, batchSize: 64 }));
  await train(state, data);
  const model = state.model;
  const dim = 784;
  const classMeans = Array.from({ length: 10 }, () => new Float64Array(dim));
  const counts = new Array<number>(10).fill(0);
  for (let i = 0; i < data.test.count; i++) {
    const c = data.test.labels[i]!;
    counts[c]!++;
    for (let j = 0; j < dim; j++) classMeans[c]![j]! += data.test.pixels[i * dim + j]! / 255;
  }
  classMeans.forEach((m, c) => m.forEach((v, j) => (m[j] = v / counts[c]!)));
  const nearest = (img: Float32Array, offset: number): number => {
    let best = -1;
    let bestD = Infinity;
    classMeans.forEach((m, c) => {
      let d = 0;
      for (let j = 0; j < dim; j++) d += (img[offset + j]! - m[j]!) ** 2;
      if (d < bestD) [best, bestD] = [c, d];
    });
    return best;
  };
  const perClass = 50;
  let hits = 0;
  for (let d = 0; d < 10; d++) {
    const images = model.sample(perClass, new Random(100 + d), new Uint8Array(perClass).fill(d));
    const avg = new Float32Array(dim);
    for (let s = 0; s < perClass; s++) {
      if (nearest(images, s * dim) === d) hits++;
      for (let j = 0; j < dim; j++) avg[j]! += images[s * dim + j]! / perClass;
    }
    assert.equal(nearest(avg, 0), d, `the average decoded ${d} is nearest to another class's mean`);
  }
  // Nearest class mean classifies only about 80% of real test digits correctly; samples do about as well.
  assert.ok(hits >= 0.7 * 10 * perClass, `${hits} of ${10 * perClass} samples nearest to their class mean`);
  assert.throws(() => model.sample(2, new Random(0)), /conditional VAE over 10 classes; it needs the labels/);
  assert.throws(() => model.sample(1, new Random(0), [10]), /label 10 is not a class/);
});

test('conv VAE: whole-model gradients check, and it learns MNIST', async () => {
  const tiny: VaeConfig = { inputDim: 64, imageHeight: 8, imageWidth: 8, hidden: [6], latent: 2, likelihood: 'bernoulli', arch: 'conv' };
  const small8 = new VAE(tiny, new Random(17));
  const x = new Tensor(new Random(8).fillUniform(new Float32Array(2 * 64)), [2, 64]);
  const params = small8.parameters().map(([, t]) => t);
  // Every parameter tensor against finite differences, 32 elements of each (the ops are checked
  // element by element in gradcheck-family). Thousands of ReLUs: allow the odd kink crossing,
  // which the small bias tensors, checked in full, meet most (a bias moves every position of
  // its channel); a wrong gradient for any tensor of 32 or more elements still fails.
  gradcheck('conv vae loss', () => small8.loss(x, new Random(9)).loss, params, 1, 1e-3, 0.02, 32);
  const gaussian = new VAE({ ...tiny, likelihood: 'gaussian', classes: 3 }, new Random(7));
  const labels = [0, 2];
  gradcheck('conditional gaussian conv vae loss', () => gaussian.loss(x, new Random(9), { labels }).loss, gaussian.parameters().map(([, t]) => t), 1, 1e-3, 0.02, 32);

  const data = small(1500, 300);
  const state = createTrainingState(config({ arch: 'conv', hidden: [64], latent: 8 }));
  const before = evaluate(state.model, data.test).nelbo;
  const [m] = await train(state, data);
  assert.ok(m!.test_nelbo < 0.6 * before, `conv VAE: ${before} -> ${m!.test_nelbo}`);
  assert.ok(m!.test_nelbo < 260, `conv VAE test NELBO ${m!.test_nelbo}`);
});
