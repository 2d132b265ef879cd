/**
 * Disentanglement scores of a representation against the ground-truth factors that generated
 * the data, computed as google-research/disentanglement_lib computes them with the settings of
 * its unsupervised study (Locatello et al. 2019, "Challenging common assumptions in the
 * unsupervised learning of disentangled representations"; config/unsupervised_study_v1/
 * metric_configs/*.gin):
 *  - MIG, the mutual information gap (Chen et al. 2018): 10,000 points; each code dimension
 *    discretized into a 20-bin histogram between its minimum and maximum; for each factor the
 *    gap between the two largest discrete mutual informations with the code dimensions,
 *    divided by the factor's entropy; the mean over factors.
 *  - the FactorVAE score (Kim and Mnih 2018): code variances from 10,000 points, dimensions with
 *    a standard deviation below 0.05 pruned; each vote fixes one factor (drawn uniformly) in a
 *    batch of 64 and votes for the dimension of least variance relative to its global variance;
 *    a majority-vote classifier from 10,000 votes, its accuracy on 5,000 further votes.
 *  - SAP (Kumar et al. 2018) with discrete factors: for each code dimension and factor, the test
 *    accuracy (5,000 points) of a linear SVM (squared hinge, C = 0.01, balanced class weights,
 *    one-vs-rest, as sklearn's LinearSVC) trained on that dimension alone (10,000 points); for
 *    each factor the gap between the best two dimensions; the mean over factors.
 * Factors are drawn uniformly and independently from their grid, as disentanglement_lib samples
 * them, and the representation is the posterior mean. One departure, for time: SAP trains on
 * the 10,000 points MIG uses rather than on a second draw of the same kind.
 */
import { Random } from '../engine/random.js';

/** Data whose generating factors are known, and any combination of them can be drawn. */
export interface GroundTruthData {
  factorNames: readonly string[];
  /** Values each factor takes (indices 0 .. size - 1). */
  factorSizes: readonly number[];
  /** Values of one observation (e.g. pixels). */
  valuesPerObservation: number;
  /** Writes the observation made from these factor indices into `out` at `offset`. */
  renderInto(factors: ArrayLike<number>, out: Float32Array, offset: number): void;
}

/** Codes of `count` observations laid one after another: count x codeDim values. */
export type Representation = (observations: Float32Array, count: number) => Float32Array;

export interface DisentanglementSettings {
  /** Points of MIG and of SAP's training set (10,000). */
  migPoints: number;
  /** Number of histogram bins of MIG's discretization (20). */
  bins: number;
  factorVaeBatch: number;
  factorVaeTrain: number;
  factorVaeEval: number;
  factorVaeVariancePoints: number;
  /** Code dimensions with a standard deviation below this are pruned by the FactorVAE score (0.05). */
  factorVaePruneBelow: number;
  sapTest: number;
  /** SAP's SVM regularization (0.01). */
  sapC: number;
}

export const DISENTANGLEMENT_LIB_SETTINGS: Readonly<DisentanglementSettings> = {
  migPoints: 10_000,
  bins: 20,
  factorVaeBatch: 64,
  factorVaeTrain: 10_000,
  factorVaeEval: 5_000,
  factorVaeVariancePoints: 10_000,
  factorVaePruneBelow: 0.05,
  sapTest: 5_000,
  sapC: 0.01,
};

/** Codes and the factors that made them, point after point. */
export interface FactorCodes {
  count: number;
  codeDim: number;
  /** count x codeDim */
  codes: Float32Array;
  /** count x factors, indices */
  factors: Int32Array;
}

const ENCODE_BATCH = 100;

/** Draws factor indices uniformly for `count` points into `out`. */
function drawFactors(gt: GroundTruthData, count: number, rng: Random, out: Int32Array): void {
  const f = gt.factorSizes.length;
  for (let i = 0; i < count; i++) for (let k = 0; k < f; k++) out[i * f + k] = rng.int(gt.factorSizes[k]!);
}

/** Renders and encodes the points of `factors`, in batches. */
function encodeFactors(gt: GroundTruthData, represent: Representation, factors: Int32Array, count: number): { codes: Float32Array; codeDim: number } {
  const f = gt.factorSizes.length;
  const per = gt.valuesPerObservation;
  let codes: Float32Array | null = null;
  let codeDim = 0;
  const observations = new Float32Array(Math.min(count, ENCODE_BATCH) * per);
  for (let start = 0; start < count; start += ENCODE_BATCH) {
    const n = Math.min(ENCODE_BATCH, count - start);
    for (let i = 0; i < n; i++) gt.renderInto(factors.subarray((start + i) * f, (start + i + 1) * f), observations, i * per);
    const batch = represent(n === ENCODE_BATCH ? observations : observations.subarray(0, n * per), n);
    if (codes === null) {
      codeDim = batch.length / n;
      if (!Number.isInteger(codeDim) || codeDim < 1) throw new RangeError(`the representation gave ${batch.length} values for ${n} observations`);
      codes = new Float32Array(count * codeDim);
    }
    codes.set(batch.subarray(0, n * codeDim), start * codeDim);
  }
  return { codes: codes ?? new Float32Array(0), codeDim };
}

/** `count` points with factors drawn uniformly from the grid, and their codes. */
export function sampleFactorCodes(gt: GroundTruthData, represent: Representation, count: number, rng: Random): FactorCodes {
  const factors = new Int32Array(count * gt.factorSizes.length);
  drawFactors(gt, count, rng, factors);
  const { codes, codeDim } = encodeFactors(gt, represent, factors, count);
  return { count, codeDim, codes, factors };
}

/**
 * numpy's histogram discretization as disentanglement_lib uses it:
 * np.digitize(x, np.histogram(x, bins)[1][:-1]), values 1 .. bins (the maximum in the last bin).
 */
export function histogramDiscretize(values: ArrayLike<number>, bins: number): Int32Array {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    lo = Math.min(lo, values[i]!);
    hi = Math.max(hi, values[i]!);
  }
  // numpy widens an empty range to [v - 0.5, v + 0.5].
  if (lo === hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  const edges = new Float64Array(bins);
  for (let b = 0; b < bins; b++) edges[b] = lo + (b * (hi - lo)) / bins;
  const out = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    // Edges are sorted: the bin is the count of edges <= v.
    let lowIndex = 0;
    let highIndex = bins;
    while (lowIndex < highIndex) {
      const mid = (lowIndex + highIndex) >> 1;
      if (edges[mid]! <= v) lowIndex = mid + 1;
      else highIndex = mid;
    }
    out[i] = lowIndex;
  }
  return out;
}

/** Mutual information in nats of two discrete labelings of the same points (sklearn's mutual_info_score). */
export function discreteMutualInformation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  if (b.length !== n) throw new RangeError('mutual information: labelings of different lengths');
  if (n === 0) return 0;
  const joint = new Map<number, number>();
  const ca = new Map<number, number>();
  const cb = new Map<number, number>();
  // Labels are small non-negative integers here; a pair key needs no collision care below 2^26.
  for (let i = 0; i < n; i++) {
    const x = a[i]!;
    const y = b[i]!;
    const key = x * 67_108_864 + y;
    joint.set(key, (joint.get(key) ?? 0) + 1);
    ca.set(x, (ca.get(x) ?? 0) + 1);
    cb.set(y, (cb.get(y) ?? 0) + 1);
  }
  let mi = 0;
  for (const [key, c] of joint) {
    const x = Math.floor(key / 67_108_864);
    const y = key - x * 67_108_864;
    mi += (c / n) * Math.log((c * n) / (ca.get(x)! * cb.get(y)!));
  }
  return Math.max(0, mi);
}

function column<T extends Float32Array | Int32Array>(data: T, count: number, stride: number, k: number): Float64Array {
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) out[i] = data[i * stride + k]!;
  return out;
}

export interface MigResult {
  score: number;
  /** Per factor: the gap over its entropy. */
  perFactor: number[];
  /** [codeDim][factor] discrete mutual information, nats. */
  mutualInformation: number[][];
}

/** MIG of given codes and factors (disentanglement_lib's _compute_mig). */
export function mutualInformationGap(points: FactorCodes, factorCount: number, bins = DISENTANGLEMENT_LIB_SETTINGS.bins): MigResult {
  const { count, codeDim } = points;
  if (codeDim < 2) throw new RangeError('MIG needs at least two code dimensions');
  const discrete = Array.from({ length: codeDim }, (_, d) => histogramDiscretize(column(points.codes, count, codeDim, d), bins));
  const factors = Array.from({ length: factorCount }, (_, k) => column(points.factors, count, factorCount, k));
  const m = discrete.map((codes) => factors.map((ys) => discreteMutualInformation(codes, ys)));
  const perFactor = factors.map((ys, k) => {
    const sorted = m.map((row) => row[k]!).sort((x, y) => y - x);
    return (sorted[0]! - sorted[1]!) / discreteMutualInformation(ys, ys);
  });
  return { score: perFactor.reduce((s, v) => s + v, 0) / factorCount, perFactor, mutualInformation: m };
}

/** Unbiased variance (ddof = 1) of each code dimension over `count` points. */
function variances(codes: Float32Array, count: number, codeDim: number): Float64Array {
  const mean = new Float64Array(codeDim);
  for (let i = 0; i < count; i++) for (let d = 0; d < codeDim; d++) mean[d]! += codes[i * codeDim + d]!;
  for (let d = 0; d < codeDim; d++) mean[d]! /= count;
  const v = new Float64Array(codeDim);
  for (let i = 0; i < count; i++) {
    for (let d = 0; d < codeDim; d++) {
      const e = codes[i * codeDim + d]! - mean[d]!;
      v[d]! += e * e;
    }
  }
  for (let d = 0; d < codeDim; d++) v[d]! /= count - 1;
  return v;
}

export interface FactorVaeResult {
  /** Accuracy of the majority-vote classifier on the evaluation votes. */
  score: number;
  trainAccuracy: number;
  /** Code dimensions kept (standard deviation at least the pruning threshold). */
  activeDims: number;
}

/** The FactorVAE score (disentanglement_lib's compute_factor_vae). */
export function factorVaeScore(gt: GroundTruthData, represent: Representation, rng: Random, settings: DisentanglementSettings = DISENTANGLEMENT_LIB_SETTINGS): FactorVaeResult {
  const global = sampleFactorCodes(gt, represent, settings.factorVaeVariancePoints, rng);
  const globalVar = variances(global.codes, global.count, global.codeDim);
  const active: number[] = [];
  for (let d = 0; d < global.codeDim; d++) if (Math.sqrt(globalVar[d]!) >= settings.factorVaePruneBelow) active.push(d);
  if (active.length === 0) return { score: 0, trainAccuracy: 0, activeDims: 0 };
  const f = gt.factorSizes.length;
  const batch = settings.factorVaeBatch;
  const factors = new Int32Array(batch * f);
  const votes = (points: number): Int32Array => {
    const v = new Int32Array(f * active.length);
    for (let p = 0; p < points; p++) {
      const fixed = rng.int(f);
      drawFactors(gt, batch, rng, factors);
      for (let i = 1; i < batch; i++) factors[i * f + fixed] = factors[fixed]!;
      const { codes, codeDim } = encodeFactors(gt, represent, factors, batch);
      const local = variances(codes, batch, codeDim);
      let best = 0;
      for (let a = 1; a < active.length; a++) {
        if (local[active[a]!]! / globalVar[active[a]!]! < local[active[best]!]! / globalVar[active[best]!]!) best = a;
      }
      v[fixed * active.length + best]!++;
    }
    return v;
  };
  const accuracy = (v: Int32Array, classifier: Int32Array): number => {
    let right = 0;
    let total = 0;
    for (let a = 0; a < active.length; a++) {
      for (let k = 0; k < f; k++) total += v[k * active.length + a]!;
      right += v[classifier[a]! * active.length + a]!;
    }
    return total === 0 ? 0 : right / total;
  };
  const trainVotes = votes(settings.factorVaeTrain);
  // Each kept dimension predicts the factor that voted for it most (the first on a tie, as np.argmax).
  const classifier = new Int32Array(active.length);
  for (let a = 0; a < active.length; a++) {
    for (let k = 1; k < f; k++) if (trainVotes[k * active.length + a]! > trainVotes[classifier[a]! * active.length + a]!) classifier[a] = k;
  }
  const trainAccuracy = accuracy(trainVotes, classifier);
  const score = accuracy(votes(settings.factorVaeEval), classifier);
  return { score, trainAccuracy, activeDims: active.length };
}

/**
 * One binary problem of a linear SVM on one feature with an intercept that is regularized too
 * (liblinear's bias feature of 1, sklearn's intercept_scaling = 1):
 *   minimize (w^2 + b^2) / 2 + sum_i c_i max(0, 1 - y_i (w x_i + b))^2
 * by Newton's method on the (once differentiable, piecewise quadratic) primal, whose steps are
 * exact on each piece; a halving line search keeps every step a descent.
 */
export function squaredHingeSvm(x: Float64Array, y: Int8Array, c: Float64Array): { w: number; b: number } {
  const objective = (w: number, b: number): number => {
    let s = 0.5 * (w * w + b * b);
    for (let i = 0; i < x.length; i++) {
      const margin = 1 - y[i]! * (w * x[i]! + b);
      if (margin > 0) s += c[i]! * margin * margin;
    }
    return s;
  };
  let w = 0;
  let b = 0;
  let value = objective(w, b);
  for (let iter = 0; iter < 100; iter++) {
    let gw = w;
    let gb = b;
    let hww = 1;
    let hwb = 0;
    let hbb = 1;
    for (let i = 0; i < x.length; i++) {
      const margin = 1 - y[i]! * (w * x[i]! + b);
      if (margin <= 0) continue;
      const ci = c[i]!;
      gw -= 2 * ci * margin * y[i]! * x[i]!;
      gb -= 2 * ci * margin * y[i]!;
      hww += 2 * ci * x[i]! * x[i]!;
      hwb += 2 * ci * x[i]!;
      hbb += 2 * ci;
    }
    if (Math.hypot(gw, gb) < 1e-10 * (1 + Math.hypot(w, b))) break;
    const det = hww * hbb - hwb * hwb;
    const dw = -(hbb * gw - hwb * gb) / det;
    const db = -(hww * gb - hwb * gw) / det;
    let t = 1;
    let next = objective(w + dw, b + db);
    while (next > value && t > 1e-12) {
      t /= 2;
      next = objective(w + t * dw, b + t * db);
    }
    if (next > value) break;
    w += t * dw;
    b += t * db;
    const improvement = value - next;
    value = next;
    if (improvement <= 1e-14 * Math.max(1, value)) break;
  }
  return { w, b };
}

/** A one-feature linear SVM classifier as sklearn's LinearSVC(C, class_weight='balanced') trains it; returns the predictions on `test`. */
export function linearSvcPredict(trainX: Float64Array, trainY: Float64Array, testX: Float64Array, c: number): Int32Array {
  const classes = [...new Set(trainY)].sort((p, q) => p - q);
  const out = new Int32Array(testX.length);
  if (classes.length === 1) return out.fill(classes[0]!);
  const n = trainX.length;
  const countOf = new Map<number, number>();
  for (const v of trainY) countOf.set(v, (countOf.get(v) ?? 0) + 1);
  // 'balanced': weight n / (classes * count of the class).
  const weight = (k: number): number => n / (classes.length * countOf.get(k)!);
  const y = new Int8Array(n);
  const ci = new Float64Array(n);
  if (classes.length === 2) {
    const [negative, positive] = classes as [number, number];
    for (let i = 0; i < n; i++) {
      y[i] = trainY[i] === positive ? 1 : -1;
      ci[i] = c * weight(trainY[i]!);
    }
    const { w, b } = squaredHingeSvm(trainX, y, ci);
    for (let i = 0; i < testX.length; i++) out[i] = w * testX[i]! + b > 0 ? positive : negative;
    return out;
  }
  // One against the rest; as in liblinear, the class's weight scales C for its own points only.
  const models = classes.map((k) => {
    for (let i = 0; i < n; i++) {
      const mine = trainY[i] === k;
      y[i] = mine ? 1 : -1;
      ci[i] = mine ? c * weight(k) : c;
    }
    return squaredHingeSvm(trainX, y, ci);
  });
  for (let i = 0; i < testX.length; i++) {
    let best = 0;
    let bestScore = -Infinity;
    models.forEach((m, k) => {
      const s = m.w * testX[i]! + m.b;
      if (s > bestScore) {
        bestScore = s;
        best = k;
      }
    });
    out[i] = classes[best]!;
  }
  return out;
}

export interface SapResult {
  score: number;
  /** [codeDim][factor] test accuracy of the one-dimension classifier. */
  accuracy: number[][];
}

/** SAP with discrete factors (disentanglement_lib's _compute_sap, continuous_factors = False). */
export function sapScore(train: FactorCodes, test: FactorCodes, factorCount: number, c = DISENTANGLEMENT_LIB_SETTINGS.sapC): SapResult {
  const codeDim = train.codeDim;
  if (codeDim < 2) throw new RangeError('SAP needs at least two code dimensions');
  const accuracy: number[][] = [];
  for (let d = 0; d < codeDim; d++) {
    const x = column(train.codes, train.count, codeDim, d);
    const xt = column(test.codes, test.count, codeDim, d);
    const row: number[] = [];
    for (let k = 0; k < factorCount; k++) {
      const yt = column(test.factors, test.count, factorCount, k);
      const predicted = linearSvcPredict(x, column(train.factors, train.count, factorCount, k), xt, c);
      let right = 0;
      for (let i = 0; i < test.count; i++) if (predicted[i] === yt[i]) right++;
      row.push(right / test.count);
    }
    accuracy.push(row);
  }
  let total = 0;
  for (let k = 0; k < factorCount; k++) {
    const sorted = accuracy.map((row) => row[k]!).sort((p, q) => q - p);
    total += sorted[0]! - sorted[1]!;
  }
  return { score: total / factorCount, accuracy };
}

export interface DisentanglementScores {
  mig: MigResult;
  factorVae: FactorVaeResult;
  sap: SapResult;
  settings: DisentanglementSettings;
  seed: number;
}

/** MIG, the FactorVAE score and SAP of a representation, from one seed. */
export function disentanglementScores(
  gt: GroundTruthData,
  represent: Representation,
  seed = 0,
  settings: DisentanglementSettings = DISENTANGLEMENT_LIB_SETTINGS,
): DisentanglementScores {
  const rng = new Random(seed);
  const f = gt.factorSizes.length;
  const points = sampleFactorCodes(gt, represent, settings.migPoints, rng);
  const mig = mutualInformationGap(points, f, settings.bins);
  const sap = sapScore(points, sampleFactorCodes(gt, represent, settings.sapTest, rng), f, settings.sapC);
  const factorVae = factorVaeScore(gt, represent, rng, settings);
  return { mig, factorVae, sap, settings: { ...settings }, seed };
}
