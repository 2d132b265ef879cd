/**
 * Conv models of any depth and colour: --conv-channels gives one stride-2 stage per entry,
 * the input and output planes follow the data's channels, and models saved before either
 * existed load and compute exactly as they did.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Random } from '../src/engine/random.js';
import { Tensor, noGrad, setKernels, kernels } from '../src/engine/tensor.js';
import { jsKernels } from '../src/kernels/js.js';
import type { DataSplits, ImageDataset } from '../src/data/dataset.js';
import { evaluate } from '../src/train/evaluate.js';
import { train } from '../src/train/trainer.js';
import { VAE } from '../src/vae/model.js';
import { convSizeProblem, parameterCount, validateVaeConfig, type Likelihood, type VaeConfig } from '../src/vae/config.js';
import { decodePixels } from '../src/vae/decoded-pixels.js';
import { describeModel } from '../src/vae/describe.js';
import { createTrainingState, loadCheckpoint, saveCheckpoint } from '../src/train/checkpoint.js';
import { defaultRunConfig } from '../src/train/config.js';
import { gradcheck } from './support/gradcheck.js';
import { assertUserFailure, vae } from './support/cli.js';
import { tempRoot, writeIdxFolder } from './support/tiny.js';

const root = tempRoot('conv-channels');
after(() => rmSync(root, { recursive: true, force: true }));

function colourConv(likelihood: Likelihood, stages: number[], extra: Partial<VaeConfig> = {}): VaeConfig {
  return {
    inputDim: 3 * 8 * 8,
    channels: 3,
    imageHeight: 8,
    imageWidth: 8,
    hidden: [5],
    latent: 2,
    likelihood,
    arch: 'conv',
    convChannels: stages,
    ...(likelihood === 'gaussian' ? { gaussianMean: 'sigmoid' as const } : {}),
    ...extra,
  };
}

/** Values k / 255, as batches of 8-bit data are. */
function bytesAsFloats(n: number, rng: Random): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = Math.floor(rng.uniform() * 256) / 255;
  return x;
}

test('a conv VAE with 3 channels and 3 stages: gradients of every parameter match finite differences', () => {
  for (const likelihood of ['bernoulli', 'gaussian', 'logistic'] as const) {
    const model = new VAE(colourConv(likelihood, [2, 3, 4]), new Random(3));
    const x = new Tensor(bytesAsFloats(2 * 192, new Random(4)), [2, 192]);
    const params = model.parameters().map(([, t]) => t);
    // Weights away from zero keep the ReLUs' kinks out of the difference quotients' reach.
    const rng = new Random(6);
    for (const p of params) for (let i = 0; i < p.size; i++) if (Math.abs(p.data[i]!) < 0.05) p.data[i] = rng.uniform() < 0.5 ? -0.2 : 0.2;
    const f = (): Tensor => model.loss(x, new Random(5)).loss;
    gradcheck(`conv ${likelihood}`, f, params, 1, 1e-2, 0.02, 40);
  }
});

test('the decoder gives C planes per parameter, laid out CHW as the data are', () => {
  const model = new VAE(colourConv('logistic', [4, 4, 4]), new Random(1));
  const z = new Tensor(new Float32Array([0.3, -0.2, 1, 0.5]), [2, 2]);
  const d = noGrad(() => model.decodeDistribution(z));
  assert.deepEqual(d.mean.shape, [2, 192]);
  assert.deepEqual(d.logScale!.shape, [2, 192]);
  // The mean is the first 3 planes of the last transposed conv, the log-scale the next 3.
  const deconvs = model.parameters().filter(([n]) => n.startsWith('decoder.deconv'));
  assert.deepEqual(
    deconvs.map(([n, t]) => `${n}:${t.shape.join('x')}`),
    ['decoder.deconv1.weight:4x4x3x3', 'decoder.deconv1.bias:4', 'decoder.deconv2.weight:4x4x3x3', 'decoder.deconv2.bias:4', 'decoder.deconv3.weight:4x6x3x3', 'decoder.deconv3.bias:6'],
  );
  const pictures = decodePixels(model, z);
  assert.equal(pictures.mean.length, 2 * 192);
  assert.ok(pictures.mean.every((v) => v > 0 && v < 1));
  const draw = pictures.sample(new Random(2));
  assert.ok(draw.every((v) => Number.isInteger(Math.round(v * 255)) && Math.abs(v * 255 - Math.round(v * 255)) < 1e-4));
  assert.match(describeModel(model.config), /conv VAE 3x8x8-c4-c4-c4-5-2, discretized logistic decoder/);
});

test('parameterCount matches the parameters the model really has', () => {
  const configs: VaeConfig[] = [];
  for (const likelihood of ['bernoulli', 'gaussian', 'gaussian-fixed', 'logistic'] as const) {
    const lik = { likelihood, ...(likelihood === 'gaussian-fixed' ? { sigma: 0.1 } : {}) };
    for (const channels of [1, 3]) {
      for (const classes of [0, 4]) {
        configs.push({ inputDim: channels * 48, channels, imageHeight: 8, imageWidth: 6, hidden: [7, 5], latent: 3, ...lik, classes });
        for (const stages of [[3], [2, 5], [2, 3, 4]]) {
          const h = 2 ** stages.length * 2;
          const w = 2 ** stages.length * 3;
          configs.push({ inputDim: channels * h * w, channels, imageHeight: h, imageWidth: w, hidden: [7], latent: 3, ...lik, arch: 'conv', convChannels: stages, classes });
        }
      }
    }
  }
  configs.push({ inputDim: 3 * 64 * 64, channels: 3, imageHeight: 64, imageWidth: 64, hidden: [256], latent: 32, likelihood: 'logistic', arch: 'conv', convChannels: [32, 64, 128, 256] });
  for (const c of configs) {
    const model = new VAE(c, new Random(0));
    const real = model.parameters().reduce((n, [, t]) => n + t.size, 0);
    assert.equal(parameterCount(c), real, JSON.stringify(c));
  }
});

test('sizes that do not divide by 2^stages are refused, naming the nearest sizes that do', () => {
  assert.equal(convSizeProblem(64, 48, 4), null);
  assert.match(convSizeProblem(50, 48, 4)!, /50x48 does not fit 4 stride-2 conv stages.*multiples of 16; nearest size that fits: 48x48$/);
  assert.match(convSizeProblem(28, 28, 3)!, /multiples of 8; nearest sizes that fit: 24x24 or 32x32$/);
  assert.match(convSizeProblem(6, 6, 3)!, /nearest size that fits: 8x8$/);
  assert.throws(() => validateVaeConfig(colourConv('bernoulli', [2, 3, 4, 5])), /8x8 does not fit 4 stride-2 conv stages.*multiples of 16; nearest size that fits: 16x16/);
  assert.throws(() => validateVaeConfig({ ...colourConv('bernoulli', [2]), channels: 2, inputDim: 128 }), /channels must be 1 \(grey\) or 3 \(RGB\)/);
  assert.throws(() => validateVaeConfig({ ...colourConv('bernoulli', [2]), inputDim: 64 }), /image size 3x8x8 does not match inputDim 64/);
  assert.throws(() => validateVaeConfig({ ...colourConv('bernoulli', [2]), arch: 'mlp' }), /convChannels applies only to the conv architecture/);
});

test('vae train refuses conv stages that do not fit the images: exit 2, one line with the nearest sizes', async () => {
  const data = writeIdxFolder(join(root, 'idx'), { train: 20, test: 10 });
  const out = join(root, 'refused');
  const r = await vae(['train', '--dataset', `idx:${data}`, '--arch', 'conv', '--conv-channels', '8,8,8', '--epochs', '1', '--out', out]);
  assertUserFailure(r, /28x28 does not fit 3 stride-2 conv stages.*nearest sizes that fit: 24x24 or 32x32/);
  const mlp = await vae(['train', '--dataset', `idx:${data}`, '--conv-channels', '8,8', '--epochs', '1', '--out', out]);
  assertUserFailure(mlp, /--conv-channels sets the stages of --arch conv/);
});

/**
 * Recorded with the code before channels and convChannels existed (commit c071293), on the js
 * kernels: a conv model built from seed 11 and its loss on a fixed batch with seed 5.
 */
const BEFORE = {
  bernoulli: { loss: 45.262264251708984, recon: [44.747711181640625, 44.999183654785156, 45.532894134521484] },
  gaussian: { loss: 56.89582824707031, recon: [57.028038024902344, 56.4315071105957, 56.72092819213867] },
} as const;
const KL_BEFORE = 0.16900242865085602;

test('a conv model saved without the new fields builds, loads and computes exactly as before', () => {
  const previous = kernels();
  setKernels(jsKernels);
  try {
    for (const likelihood of ['bernoulli', 'gaussian'] as const) {
      const config: VaeConfig = { inputDim: 64, imageHeight: 8, imageWidth: 8, hidden: [6], latent: 2, likelihood, arch: 'conv', ...(likelihood === 'gaussian' ? { gaussianMean: 'sigmoid' as const } : {}) };
      const x = new Float32Array(3 * 64);
      for (let i = 0; i < x.length; i++) x[i] = ((i * 37) % 256) / 255;
      const model = new VAE(config, new Random(11));
      const terms = noGrad(() => model.loss(new Tensor(x, [3, 64]), new Random(5)));
      assert.equal(terms.loss.item(), BEFORE[likelihood].loss);
      assert.deepEqual(Array.from(terms.recon), BEFORE[likelihood].recon);
      assert.ok(Array.from(terms.kl).every((k) => k === KL_BEFORE));
      const names = model.parameters().map(([n]) => n);
      assert.deepEqual(names.filter((n) => /conv/.test(n)), [
        'encoder.conv1.weight', 'encoder.conv1.bias', 'encoder.conv2.weight', 'encoder.conv2.bias',
        'decoder.deconv1.weight', 'decoder.deconv1.bias', 'decoder.deconv2.weight', 'decoder.deconv2.bias',
      ]);

      // Through a checkpoint: the config keeps no channels or convChannels, and the loaded model agrees.
      const run = defaultRunConfig();
      run.model = config;
      const state = createTrainingState(run);
      const dir = join(root, `old-${likelihood}`);
      saveCheckpoint(dir, state);
      const loaded = loadCheckpoint(dir);
      assert.equal(loaded.config.model.channels, undefined);
      assert.equal(loaded.config.model.convChannels, undefined);
      const a = noGrad(() => state.model.loss(new Tensor(x, [3, 64]), new Random(5)).loss.item());
      const b = noGrad(() => loaded.model.loss(new Tensor(x, [3, 64]), new Random(5)).loss.item());
      assert.equal(b, a);
    }
  } finally {
    setKernels(previous);
  }
});

/** Colour shapes on 16x16 as bytes (CHW): a red square or a blue disc at a random place, on a dark background; label 0 red, 1 blue. */
function colourShapes(n: number, rng: Random): ImageDataset {
  const side = 16;
  const plane = side * side;
  const pixels = new Uint8Array(n * 3 * plane);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const red = rng.uniform() < 0.5;
    labels[i] = red ? 0 : 1;
    const cx = 4 + Math.floor(rng.uniform() * 8);
    const cy = 4 + Math.floor(rng.uniform() * 8);
    for (let y = 0; y < side; y++) {
      for (let xx = 0; xx < side; xx++) {
        const inside = red ? Math.abs(xx - cx) <= 3 && Math.abs(y - cy) <= 3 : (xx - cx) ** 2 + (y - cy) ** 2 <= 10;
        const rgb = inside ? (red ? [230, 30, 20] : [20, 40, 220]) : [10, 10, 10];
        for (let c = 0; c < 3; c++) pixels[i * 3 * plane + c * plane + y * side + xx] = rgb[c]!;
      }
    }
  }
  return { name: 'shapes', pixels, labels, count: n, channels: 3, height: side, width: side, description: { classNames: ['red', 'blue'], noun: 'image' } };
}

test('a tiny colour conv model trains on bytes: its loss falls on generated colour shapes', async () => {
  for (const likelihood of ['logistic', 'bernoulli'] as const) {
    const run = defaultRunConfig();
    run.model = { inputDim: 3 * 256, channels: 3, imageHeight: 16, imageWidth: 16, hidden: [32], latent: 4, likelihood, arch: 'conv', convChannels: [8, 16, 16] };
    run.training = { ...run.training, epochs: 20, batchSize: 8, lr: 3e-3 };
    const state = createTrainingState(run);
    const data: DataSplits = { name: 'shapes', train: colourShapes(64, new Random(2)), test: colourShapes(32, new Random(3)) };
    const before = evaluate(state.model, data.test);
    const history = await train(state, data);
    const last = history[history.length - 1]!;
    assert.ok(last.test_nelbo < 0.75 * before.nelbo, `${likelihood}: test NELBO ${before.nelbo} -> ${last.test_nelbo}`);
    if (likelihood === 'logistic') {
      // A distribution over bytes: below 8 bits a value, it beats the uniform code.
      assert.ok(last.test_bits_per_dim! < 8, `${last.test_bits_per_dim} bits/dim`);
    } else {
      assert.equal(last.test_bits_per_dim, undefined);
    }
  }
});
