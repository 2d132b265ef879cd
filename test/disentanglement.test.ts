/**
 * The disentanglement scores against known answers: a perfect encoder (one code dimension per
 * factor), a random one, and the pieces (discretization, mutual information, the SVM) on cases
 * solved by hand.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Random } from '../src/engine/index.js';
import {
  DISENTANGLEMENT_LIB_SETTINGS,
  discreteMutualInformation,
  disentanglementScores,
  factorVaeScore,
  histogramDiscretize,
  linearSvcPredict,
  mutualInformationGap,
  sampleFactorCodes,
  sapScore,
  squaredHingeSvm,
  type GroundTruthData,
  type Representation,
} from '../src/measure/disentanglement.js';

/** Observations that are their factor indices, so an encoder can be perfect or know nothing. */
function factorsAsObservations(sizes: number[]): GroundTruthData {
  return {
    factorNames: sizes.map((_, k) => `f${k}`),
    factorSizes: sizes,
    valuesPerObservation: sizes.length,
    renderInto(factors, out, offset) {
      for (let k = 0; k < sizes.length; k++) out[offset + k] = factors[k]!;
    },
  };
}

/** One code dimension per factor, each an affine function of it (histogram bins are equal-width, so a curved one would bin differently), plus `constant` dimensions that never change. */
function perfectEncoder(f: number, constant = 0): Representation {
  return (obs, count) => {
    const out = new Float32Array(count * (f + constant));
    for (let i = 0; i < count; i++) for (let k = 0; k < f; k++) out[i * (f + constant) + k] = 0.25 * obs[i * f + k]! - 1;
    return out;
  };
}

function randomEncoder(dims: number, seed: number): Representation {
  const rng = new Random(seed);
  return (_obs, count) => rng.fillNormal(new Float32Array(count * dims));
}

/** Entropy ratio H(bin(y)) / H(y) of a uniform factor with `size` values cut into 20 equal bins between its extremes. */
function binnedEntropyRatio(size: number): number {
  const counts = new Map<number, number>();
  for (let v = 0; v < size; v++) {
    let bin = 0;
    for (let b = 0; b < 20; b++) if ((b * (size - 1)) / 20 <= v) bin = b;
    counts.set(bin, (counts.get(bin) ?? 0) + 1);
  }
  let h = 0;
  for (const c of counts.values()) h -= (c / size) * Math.log(c / size);
  return h / Math.log(size);
}

test("histogram discretization is numpy's digitize on histogram edges", () => {
  assert.deepEqual([...histogramDiscretize([0, 0.5, 1], 2)], [1, 2, 2]);
  assert.deepEqual([...histogramDiscretize([3, 3], 2)], [2, 2]);
  const values = Array.from({ length: 20 }, (_, i) => i);
  assert.deepEqual([...histogramDiscretize(values, 20)], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
});

test('discrete mutual information: 0 for independent labelings, the entropy for identical ones', () => {
  assert.equal(discreteMutualInformation([0, 0, 1, 1], [0, 1, 0, 1]), 0);
  assert.ok(Math.abs(discreteMutualInformation([0, 0, 1, 1], [5, 5, 7, 7]) - Math.log(2)) < 1e-12);
  assert.ok(Math.abs(discreteMutualInformation([0, 1, 2, 3], [0, 1, 2, 3]) - Math.log(4)) < 1e-12);
});

test('MIG of a perfect encoder is 1 for factors of at most 20 values, and 0 for a random encoder', () => {
  const gt = factorsAsObservations([3, 6, 10, 4]);
  const perfect = mutualInformationGap(sampleFactorCodes(gt, perfectEncoder(4), 10_000, new Random(1)), 4);
  assert.ok(perfect.score > 0.98 && perfect.score <= 1, `perfect MIG ${perfect.score}`);
  const random = mutualInformationGap(sampleFactorCodes(gt, randomEncoder(4, 2), 10_000, new Random(1)), 4);
  assert.ok(random.score >= 0 && random.score < 0.02, `random MIG ${random.score}`);
});

test("MIG of a perfect encoder of dSprites' factors is what 20 bins leave of 40 orientations and 32 positions", () => {
  const sizes = [3, 6, 40, 32, 32];
  const expected = sizes.map(binnedEntropyRatio).reduce((s, v) => s + v, 0) / sizes.length;
  assert.ok(expected > 0.85 && expected < 0.95, `expected ${expected}`);
  const mig = mutualInformationGap(sampleFactorCodes(factorsAsObservations(sizes), perfectEncoder(5), 10_000, new Random(3)), 5);
  assert.ok(Math.abs(mig.score - expected) < 0.02, `MIG ${mig.score}, expected ${expected}`);
});

test('the FactorVAE score is 1 for a perfect encoder, constant dimensions pruned, and near chance for a random one', () => {
  const gt = factorsAsObservations([3, 6, 10, 4]);
  const perfect = factorVaeScore(gt, perfectEncoder(4, 2), new Random(4));
  assert.equal(perfect.score, 1);
  assert.equal(perfect.trainAccuracy, 1);
  assert.equal(perfect.activeDims, 4);
  const random = factorVaeScore(gt, randomEncoder(4, 5), new Random(4), { ...DISENTANGLEMENT_LIB_SETTINGS, factorVaeTrain: 2000, factorVaeEval: 1000 });
  assert.ok(random.score < 0.4, `random FactorVAE score ${random.score}`);
  assert.deepEqual(factorVaeScore(gt, perfectEncoder(0, 3), new Random(4), { ...DISENTANGLEMENT_LIB_SETTINGS, factorVaeTrain: 10 }), { score: 0, trainAccuracy: 0, activeDims: 0 });
});

test('the squared-hinge SVM reaches the minimum solved by hand', () => {
  // Points -1 (negative) and +1 (positive): by symmetry b = 0, and
  // min w^2/2 + 2C(1 - w)^2 is at w = 4C / (1 + 4C).
  for (const c of [0.01, 1, 100]) {
    const { w, b } = squaredHingeSvm(Float64Array.from([-1, 1]), Int8Array.from([-1, 1]), Float64Array.from([c, c]));
    assert.ok(Math.abs(w - (4 * c) / (1 + 4 * c)) < 1e-9, `C ${c}: w ${w}`);
    assert.ok(Math.abs(b) < 1e-9);
  }
  // Separable classes on a line are told apart, two or three of them.
  const x = Float64Array.from([-3, -2.5, -2, 2, 2.5, 3]);
  assert.deepEqual([...linearSvcPredict(x, Float64Array.from([0, 0, 0, 1, 1, 1]), Float64Array.from([-2.2, 2.2]), 1)], [0, 1]);
  const x3 = Float64Array.from([-6, -5, 0, 0.2, 5, 6]);
  assert.deepEqual([...linearSvcPredict(x3, Float64Array.from([0, 0, 1, 1, 2, 2]), Float64Array.from([-5.5, 5.5]), 1)], [0, 2]);
});

test('SAP is 0.5 for a perfect encoder of binary factors (accuracy 1 against chance) and near 0 for a random one', () => {
  const gt = factorsAsObservations([2, 2, 2]);
  const rng = new Random(6);
  const perfect = sapScore(sampleFactorCodes(gt, perfectEncoder(3), 10_000, rng), sampleFactorCodes(gt, perfectEncoder(3), 5000, rng), 3);
  assert.ok(Math.abs(perfect.score - 0.5) < 0.03, `perfect SAP ${perfect.score}`);
  for (let k = 0; k < 3; k++) assert.equal(perfect.accuracy[k]![k], 1);
  const enc = randomEncoder(3, 7);
  const random = sapScore(sampleFactorCodes(gt, enc, 10_000, rng), sampleFactorCodes(gt, enc, 5000, rng), 3);
  assert.ok(random.score < 0.05, `random SAP ${random.score}`);
});

test('all three scores from one seed are reproducible and keep the settings they used', () => {
  const gt = factorsAsObservations([3, 4, 5]);
  const small = { ...DISENTANGLEMENT_LIB_SETTINGS, migPoints: 2000, sapTest: 1000, factorVaeTrain: 300, factorVaeEval: 200, factorVaeVariancePoints: 1000 };
  const a = disentanglementScores(gt, perfectEncoder(3, 1), 9, small);
  const b = disentanglementScores(gt, perfectEncoder(3, 1), 9, small);
  assert.deepEqual(a, b);
  assert.equal(a.factorVae.score, 1);
  assert.ok(a.mig.score > 0.95);
  assert.equal(a.settings.migPoints, 2000);
});
