/**
 * A training step's arrays are handed back when it ends and reused by the next one
 * (trainingStep, opBuffer): reused arrays must come back cleared where an op adds into them,
 * and a step must compute exactly what it computes with fresh arrays, on every provider.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Random } from '../src/engine/random.js';
import { Tensor, kernels, opBuffer, setKernels, trainingStep } from '../src/engine/tensor.js';
import { jsKernels } from '../src/kernels/js.js';
import { loadNativeKernels } from '../src/kernels/native.js';
import type { Kernels } from '../src/kernels/kernels.js';
import { VAE } from '../src/vae/model.js';
import type { VaeConfig } from '../src/vae/config.js';

const before = kernels();
after(() => setKernels(before));

test('outside a training step every op buffer is a fresh array of zeros', () => {
  const a = opBuffer(10_000, false);
  const b = opBuffer(10_000, false);
  assert.notEqual(a, b);
  assert.ok(a.every((v) => v === 0) && b.every((v) => v === 0));
});

test('a step reuses the arrays of the step before, cleared when asked, and leaves small ones to the allocator', () => {
  const first = trainingStep(() => {
    const big = opBuffer(10_000);
    big.fill(7);
    const small = opBuffer(100);
    small.fill(7);
    return { big, small };
  });
  trainingStep(() => {
    const big = opBuffer(10_000);
    assert.equal(big, first.big, 'the same array comes back');
    assert.ok(big.every((v) => v === 0), 'and it is cleared');
    const other = opBuffer(10_000);
    assert.notEqual(other, big, 'an array is lent once per step');
    assert.notEqual(opBuffer(100), first.small);
    big.fill(3);
  });
  trainingStep(() => {
    const a = opBuffer(10_000, false);
    const b = opBuffer(10_000, false);
    assert.ok([a, b].includes(first.big));
    assert.ok(!(a.every((v) => v === 0) && b.every((v) => v === 0)), 'uncleared when the op writes every value');
  });
  // A step that asks for other sizes lets the earlier ones go: one step's worth is kept.
  trainingStep(() => opBuffer(5_000));
  trainingStep(() => {
    const a = opBuffer(10_000, false);
    assert.notEqual(a, first.big);
    assert.ok(a.every((v) => v === 0), 'a fresh array');
  });
});

/** Gradients of the ELBO of one batch, every parameter's, fresh from zero. */
function gradients(model: VAE, x: Tensor, seed: number): Float32Array[] {
  for (const [, p] of model.parameters()) p.grad = null;
  const terms = model.loss(x, new Random(seed));
  terms.loss.backward();
  return model.parameters().map(([, p]) => Float32Array.from(p.grad!));
}

const providers: Array<[string, Kernels]> = [['js', jsKernels]];
const native = loadNativeKernels();
if (native.ok) providers.push(['native', native.kernels]);

const models: Array<[string, VaeConfig, number]> = [
  ['mlp', { inputDim: 784, imageHeight: 28, imageWidth: 28, hidden: [64], latent: 4, likelihood: 'bernoulli' }, 16],
  ['conv', { inputDim: 256, imageHeight: 16, imageWidth: 16, hidden: [32], latent: 4, likelihood: 'bernoulli', arch: 'conv', convChannels: [8, 16] }, 32],
];

for (const [providerName, K] of providers) {
  for (const [arch, config, batch] of models) {
    test(`${providerName}, ${arch}: steps on reused arrays give the gradients of fresh ones, bit for bit`, () => {
      setKernels(K);
      const model = new VAE(config, new Random(3));
      const rng = new Random(4);
      const batches = [0, 1, 2].map(() => new Tensor(rng.fillUniform(new Float32Array(batch * config.inputDim)).map((v) => (v < 0.3 ? 1 : 0)), [batch, config.inputDim]));
      const fresh = batches.map((x, i) => gradients(model, x, 10 + i));
      // Steps in a different order, so that every reused array holds another batch's values.
      for (const i of [2, 0, 1, 0]) {
        const reused = trainingStep(() => gradients(model, batches[i]!, 10 + i));
        reused.forEach((g, p) => assert.deepEqual(g, fresh[i]![p], `batch ${i}, parameter ${model.parameters()[p]![0]}`));
      }
    });
  }
}
