/**
 * The discretized logistic likelihood of 8-bit data: its probabilities are a distribution
 * over the 256 levels, its hand-derived gradients match finite differences (the edge bins
 * included), and a run on it reports bits per dimension.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Random } from '../src/engine/random.js';
import { Tensor } from '../src/engine/tensor.js';
import { logisticNll } from '../src/engine/ops/logistic.js';
import { jsKernels } from '../src/kernels/js.js';
import { loadNativeKernels } from '../src/kernels/native.js';
import { loadWasmKernels } from '../src/kernels/wasm.js';
import { LOG_SCALE_FLOOR, bitsPerDim } from '../src/vae/likelihood.js';
import { gradcheck } from './support/gradcheck.js';
import { vaeOk } from './support/cli.js';
import { tempRoot, writeIdxFolder } from './support/tiny.js';

const root = tempRoot('logistic');
after(() => rmSync(root, { recursive: true, force: true }));

/** P(k) straight from the definition, in float64: CDF differences, the edges taking the tails. */
function probability(k: number, m: number, logScale: number): number {
  const F = (t: number): number => 1 / (1 + Math.exp(-t));
  const s = Math.exp(logScale);
  const x = k / 255;
  const upper = k === 255 ? 1 : F((x - m + 1 / 510) / s);
  const lower = k === 0 ? 0 : F((x - m - 1 / 510) / s);
  return upper - lower;
}

/** -log P of each of the 256 levels under one (mean, log-scale), through the op. */
function levelNlls(m: number, logScale: number): Float32Array {
  const x = new Float32Array(256).map((_, k) => k / 255);
  const mean = new Tensor(new Float32Array(256).fill(m), [256, 1]);
  const ls = new Tensor(new Float32Array(256).fill(logScale), [256, 1]);
  return logisticNll(mean, ls, new Tensor(x, [256, 1])).data;
}

test('the probabilities of all 256 levels sum to 1, for random means and scales', () => {
  const rng = new Random(1);
  const cases: [number, number][] = [
    [0.5, -3],
    [0, LOG_SCALE_FLOOR],
    [1, LOG_SCALE_FLOOR],
    [-0.4, 0.5],
    [1.3, -1],
  ];
  for (let i = 0; i < 40; i++) cases.push([rng.uniform() * 1.6 - 0.3, LOG_SCALE_FLOOR + rng.uniform() * 9]);
  for (const [m, ls] of cases) {
    const nll = levelNlls(m, ls);
    let total = 0;
    for (const v of nll) total += Math.exp(-v);
    assert.ok(Math.abs(total - 1) < 1e-5, `mean ${m}, log-scale ${ls}: probabilities sum to ${total}`);
  }
});

test('the op agrees with the definition, edge bins and tiny bins included', () => {
  for (const [m, ls] of [
    [0.3, -2],
    [0.02, -6],
    [0.98, -5],
    [0.5, -7.5],
    [0.1, 1],
  ] as const) {
    const nll = levelNlls(m, ls);
    for (const k of [0, 1, 2, 77, 128, 200, 253, 254, 255]) {
      const p = probability(k, m, ls);
      if (p < 1e-12) {
        // Far out in the tail the difference of two CDFs loses every digit; the op does not.
        assert.ok(Number.isFinite(nll[k]!) && nll[k]! > 20, `k ${k}: ${nll[k]}`);
        continue;
      }
      const want = -Math.log(p);
      assert.ok(Math.abs(nll[k]! - want) <= 1e-4 * Math.max(1, want), `mean ${m}, log-scale ${ls}, k ${k}: ${nll[k]} vs ${want}`);
    }
  }
});

test('gradients match finite differences, in the edge bins and between', () => {
  const rng = new Random(2);
  const rows = 3;
  const cols = 12;
  // Each row has levels 0 and 255 (the edge bins), 1 and 254 (next to them), and interior ones.
  const levels = [0, 255, 1, 254, 3, 60, 128, 129, 200, 0, 255, 17];
  const x = new Float32Array(rows * cols);
  const mean = new Float32Array(rows * cols);
  const logScale = new Float32Array(rows * cols);
  for (let i = 0; i < rows * cols; i++) {
    const k = levels[i % cols]!;
    x[i] = k / 255;
    // Means near their values and away from them, scales from a few grey levels to broad.
    mean[i] = Math.min(1, Math.max(0, k / 255 + (rng.uniform() - 0.5) * 0.3));
    logScale[i] = -5 + rng.uniform() * 4;
  }
  const data = new Tensor(x, [rows, cols]);
  const m = new Tensor(mean, [rows, cols], { requiresGrad: true });
  const ls = new Tensor(logScale, [rows, cols], { requiresGrad: true });
  gradcheck('logistic nll', (a, b) => logisticNll(a, b, data), [m, ls], 3, 1e-3);
  // Scales near the floor, where the bins are wide against s: the steep part of the curve.
  const sharp = new Tensor(new Float32Array(rows * cols).map(() => -7 + rng.uniform()), [rows, cols], { requiresGrad: true });
  const near = new Tensor(new Float32Array(x).map((v) => v + (rng.uniform() - 0.5) * 0.004), [rows, cols], { requiresGrad: true });
  gradcheck('logistic nll, sharp', (a, b) => logisticNll(a, b, data), [near, sharp], 4, 1e-4);
});

test('every kernel provider computes the same logistic likelihood', () => {
  const rng = new Random(5);
  const n = 2 * 50;
  const x = new Float32Array(n).map(() => Math.floor(rng.uniform() * 256) / 255);
  const m = rng.fillUniform(new Float32Array(n));
  const ls = rng.fillUniform(new Float32Array(n), -6, 0);
  const want = new Float32Array(2);
  jsKernels.logisticNll(m, ls, x, 2, 50, want);
  const native = loadNativeKernels();
  const wasm = loadWasmKernels(1);
  for (const provider of [native, wasm]) {
    if (!provider.ok) continue;
    const got = new Float32Array(2);
    provider.kernels.logisticNll(m, ls, x, 2, 50, got);
    assert.deepEqual(got, want);
  }
});

test('vae train --likelihood logistic reports bits per dimension, and vae eval agrees', async () => {
  const data = writeIdxFolder(join(root, 'idx'), { train: 64, test: 32 });
  const run = join(root, 'run');
  const trained = await vaeOk(['train', '--dataset', `idx:${data}`, '--likelihood', 'logistic', '--epochs', '1', '--hidden', '16', '--latent', '2', '--out', run], root);
  const config = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8')) as { model: Record<string, unknown> };
  assert.equal(config.model.likelihood, 'logistic');
  assert.equal(config.model.gaussianMean, undefined);
  const metrics = JSON.parse(readFileSync(join(run, 'metrics.jsonl'), 'utf8').trim().split('\n')[0]!) as { test_nelbo: number; test_bits_per_dim: number };
  assert.ok(Math.abs(metrics.test_bits_per_dim - metrics.test_nelbo / (784 * Math.LN2)) < 1e-9);
  assert.match(trained.stdout, new RegExp(`= ${metrics.test_bits_per_dim.toFixed(3)} bits/dim`));
  const ev = await vaeOk(['eval', '--checkpoint', run, '--json'], root);
  const result = JSON.parse(ev.stdout) as { test_nelbo: number; bits_per_dim: number };
  assert.equal(result.bits_per_dim, bitsPerDim(result.test_nelbo, 784, false));
  // A normalized distribution over 8-bit values: no code is longer than 8 bits a value unless the model is worse than uniform.
  assert.ok(result.bits_per_dim > 0 && result.bits_per_dim < 12, `${result.bits_per_dim}`);
});
