/**
 * What each latent dimension means: the hidden factor of the images it carries.
 *
 * For every dimension d of a trained model, on a test set:
 *  1. its KL in nats, the test-set mean of KL(q(z_d|x) || N(0, 1)), and whether it is active;
 *  2. the measure of an image (slant, thickness, ... : src/measure) that it tracks best: the
 *     largest |partial correlation| between the posterior means mu_d and the measure,
 *     controlling for the other dimensions (src/train/partial-correlation.ts);
 *  3. a check on the decoder: the mean image decoded along d alone, from -3 sigma to +3 sigma
 *     around the test set's mean code (sigma: the spread of mu_d over the test set), each
 *     decoded image measured. The slope of the measure per sigma says how much and which way
 *     the factor moves; a dimension "confirmed" moves it monotonically, in the direction the
 *     correlation says.
 * And, per measure, the direction in latent space that predicts it best (a linear fit on all
 * dimensions), which the explorer's sliders move along.
 *
 * The result is factors.json in a run folder (the shape is shared with the explorer: see
 * FactorsFile).
 */
import { Tensor } from '../engine/tensor.js';
import type { ImageDataset } from '../data/dataset.js';
import { decodeDisplayMean } from '../vae/decoded-pixels.js';
import type { VAE } from '../vae/model.js';
import { encodeDataset, klPerDimension, latentColumn } from './posterior.js';
import { partialCorrelations, regressionDirection } from './partial-correlation.js';
import type { MeasureSet } from '../measure/index.js';

export type { MeasureSet };

/**
 * A dimension whose KL stays at or below this many nats is inactive: it tells the decoder less
 * than a hundredth of a nat about an image, its posterior is the prior, and decoding along it
 * changes nothing. 0.01 is also the usual cut for active units (Burda et al. 2015, on the
 * variance of the posterior means; src/train/latent-stats.ts).
 */
export const ACTIVE_KL_NATS = 0.01;

/** Where the traversals are decoded, in sigmas of each dimension: -3 to +3 in halves. */
export const TRAVERSAL_SIGMAS: readonly number[] = Array.from({ length: 13 }, (_, i) => -3 + i * 0.5);

/**
 * How far a traversal's measure may fall back against its trend and still count as monotonic, as a
 * fraction of the measure's range over the traversal. Measures of decoded images are taken
 * after binarizing an upsampled copy (Morpho-MNIST), so a plateau jitters by a fraction of a
 * pixel; a real reversal is larger than this.
 */
export const MONOTONIC_TOLERANCE = 0.05;

export interface FactorDimension {
  dim: number;
  /** Test-set mean KL of this dimension, nats. */
  kl: number;
  active: boolean;
  /** The measure with the largest |partial correlation|; null for an inactive dimension. */
  factor: string | null;
  /** That partial correlation, signed; null with factor. */
  r: number | null;
  /** Least-squares slope of the factor along the decoded traversal, in slopeUnits. */
  slope: number | null;
  /** e.g. "degrees per sigma". */
  slopeUnits: string | null;
  /** Whether the factor moves one way all along the traversal (within MONOTONIC_TOLERANCE). */
  monotonic: boolean | null;
  /** Monotonic, and the traversal's slope has the sign of r: the decoder agrees with the encoder. */
  confirmed: boolean | null;
  /** The partial correlation with every measure, for the full picture. */
  partial: Record<string, number>;
}

export interface FactorDirection {
  /** Unit vector in latent space that best predicts the measure (linear regression on the posterior means). */
  vector: number[];
  /** Multiple correlation of that fit. */
  r: number;
  units: string;
}

/**
 * How well the codes predict a measure among the images of one class at a time: the multiple
 * correlation R of a linear fit within each class, averaged over the classes weighted by their
 * images. A small latent space spends most of itself on the class, so a style such as slant
 * often runs along a different direction in each class's region: no single direction predicts
 * it over the whole set, but one per class does.
 */
export interface WithinClassFit {
  r: number;
  /** Classes with enough images to fit (WITHIN_CLASS_MIN_IMAGES). */
  classes: number;
}

/** factors.json. */
export interface FactorsFile {
  dimensions: FactorDimension[];
  measures: string[];
  directions: Record<string, FactorDirection>;
  /** Per measure, the fit within each class; null when the test set has fewer than two classes big enough. */
  withinClass: Record<string, WithinClassFit> | null;
  testImages: number;
}

/** A class needs this many test images for its own fit to mean something. */
export const WITHIN_CLASS_MIN_IMAGES = 20;

export interface Traversal {
  dim: number;
  /** The spread (standard deviation) of mu_d over the test set: one step of the traversal's sigma. */
  sigma: number;
  /** The decoded mean images, one per TRAVERSAL_SIGMAS entry, each channels x height x width in [0, 1]. */
  images: Float32Array;
  /** Each measure of each decoded image. */
  values: Record<string, number[]>;
}

export interface FactorAnalysis {
  file: FactorsFile;
  /** [count, latent] posterior means of the test images. */
  mu: Float32Array;
  /** Each measure of each test image. */
  measured: Record<string, Float64Array>;
  /** One traversal per latent dimension, in dimension order. */
  traversals: Traversal[];
  /** The class a conditional model's traversals are decoded as (the first test image's); undefined otherwise. */
  traversalClass: number | undefined;
}

const UNITS: Record<string, string> = {
  slant_deg: 'degrees',
  hue_deg: 'degrees',
  orientation_deg: 'degrees',
  area: 'square pixels',
  length: 'pixels',
  thickness: 'pixels',
  width: 'pixels',
  height: 'pixels',
  centroid_x: 'pixels',
  centroid_y: 'pixels',
  brightness: 'intensity (0 to 1)',
  object_size: 'share of pixels',
  saturation: 'saturation (0 to 1)',
};

/** The units a measure is given in, as words. */
export function measureUnits(name: string): string {
  return UNITS[name] ?? (name.endsWith('_deg') ? 'degrees' : 'units');
}

/** A measure's name for people: "slant_deg" -> "slant". */
export function measureLabel(name: string): string {
  return name.replace(/_deg$/, '').replace(/_/g, ' ');
}

export interface AnalyzeOptions {
  /** Called with the number of test images encoded and measured so far. */
  onProgress?: (done: number) => void;
}

/** The factor analysis of `model` on `test` with the measures of `measures`. */
export function analyzeFactors(model: VAE, test: ImageDataset, measures: MeasureSet, options: AnalyzeOptions = {}): FactorAnalysis {
  const { latent: L, imageHeight: h, imageWidth: w, inputDim } = model.config;
  const channels = inputDim / (h * w);
  const names = [...measures.names];
  const measured: Record<string, Float64Array> = Object.fromEntries(names.map((m) => [m, new Float64Array(test.count)]));
  const encoded = encodeDataset(model, test, (images, first, count) => {
    for (let i = 0; i < count; i++) {
      const values = measures.measure(images.subarray(i * inputDim, (i + 1) * inputDim), channels, h, w);
      for (const m of names) measured[m]![first + i] = values[m]!;
    }
    options.onProgress?.(first + count);
  });
  const n = encoded.count;
  const columns = Array.from({ length: L }, (_, d) => latentColumn(encoded.mu, n, L, d));
  const kl = klPerDimension(encoded);
  const partial = names.map((m) => partialCorrelations(columns, measured[m]!));

  const traversalClass = model.classes > 0 && test.count > 0 ? test.labels[0]! : undefined;
  const traversals = decodeTraversals(model, columns, measures, channels, traversalClass);

  const dimensions: FactorDimension[] = kl.map((k, d) => {
    const active = k > ACTIVE_KL_NATS;
    const byMeasure = Object.fromEntries(names.map((m, j) => [m, partial[j]![d]!]));
    if (!active || names.length === 0) {
      return { dim: d, kl: k, active, factor: null, r: null, slope: null, slopeUnits: null, monotonic: null, confirmed: null, partial: byMeasure };
    }
    let best = 0;
    for (let j = 1; j < names.length; j++) if (Math.abs(partial[j]![d]!) > Math.abs(partial[best]![d]!)) best = j;
    // No measure correlates at all (or too few images to tell): the dimension tracks none we know.
    if (partial[best]![d]! === 0) {
      return { dim: d, kl: k, active, factor: null, r: null, slope: null, slopeUnits: null, monotonic: null, confirmed: null, partial: byMeasure };
    }
    const factor = names[best]!;
    const r = partial[best]![d]!;
    const values = traversals[d]!.values[factor]!;
    const slope = leastSquaresSlope(TRAVERSAL_SIGMAS, values);
    const monotonic = isMonotonic(values, Math.sign(slope));
    return {
      dim: d,
      kl: k,
      active,
      factor,
      r,
      slope,
      slopeUnits: `${measureUnits(factor)} per sigma`,
      monotonic,
      confirmed: monotonic && Math.sign(slope) === Math.sign(r) && r !== 0,
      partial: byMeasure,
    };
  });

  const directions: Record<string, FactorDirection> = {};
  for (const m of names) {
    const fit = regressionDirection(columns, measured[m]!);
    directions[m] = { vector: fit.vector, r: fit.r, units: measureUnits(m) };
  }
  const withinClass = withinClassFits(columns, measured, names, test.labels.subarray(0, n));
  return { file: { dimensions, measures: names, directions, withinClass, testImages: n }, mu: encoded.mu, measured, traversals, traversalClass };
}

function withinClassFits(columns: Float64Array[], measured: Record<string, Float64Array>, names: string[], labels: Uint8Array): Record<string, WithinClassFit> | null {
  const members = new Map<number, number[]>();
  labels.forEach((label, i) => {
    const list = members.get(label);
    if (list === undefined) members.set(label, [i]);
    else list.push(i);
  });
  const classes = [...members.values()].filter((rows) => rows.length >= WITHIN_CLASS_MIN_IMAGES);
  if (classes.length < 2) return null;
  const pick = (column: ArrayLike<number>, rows: number[]): Float64Array => Float64Array.from(rows, (i) => column[i]!);
  const total = classes.reduce((s, rows) => s + rows.length, 0);
  return Object.fromEntries(
    names.map((m) => {
      let r = 0;
      for (const rows of classes) r += regressionDirection(columns.map((c) => pick(c, rows)), pick(measured[m]!, rows)).r * rows.length;
      return [m, { r: r / total, classes: classes.length }];
    }),
  );
}

function mean(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i]!;
  return values.length === 0 ? 0 : s / values.length;
}

function spread(values: ArrayLike<number>, m: number): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += (values[i]! - m) ** 2;
  return values.length === 0 ? 0 : Math.sqrt(s / values.length);
}

/**
 * The decoded traversals of every dimension, all in one decoder call. A dimension whose means
 * do not vary at all is moved by the prior's sigma, 1, so its row still shows that nothing
 * changes.
 */
function decodeTraversals(model: VAE, columns: Float64Array[], measures: MeasureSet, channels: number, label: number | undefined): Traversal[] {
  const { latent: L, imageHeight: h, imageWidth: w, inputDim } = model.config;
  const centre = columns.map((c) => mean(c));
  const sigmas = columns.map((c, d) => spread(c, centre[d]!) || 1);
  const steps = TRAVERSAL_SIGMAS.length;
  const z = new Float32Array(L * steps * L);
  for (let d = 0; d < L; d++) {
    for (let s = 0; s < steps; s++) {
      const row = (d * steps + s) * L;
      for (let j = 0; j < L; j++) z[row + j] = centre[j]!;
      z[row + d] = centre[d]! + TRAVERSAL_SIGMAS[s]! * sigmas[d]!;
    }
  }
  const labels = label === undefined ? undefined : new Uint16Array(L * steps).fill(label);
  const decoded = decodeDisplayMean(model, new Tensor(z, [L * steps, L]), labels);
  return Array.from({ length: L }, (_, d) => {
    const images = decoded.slice(d * steps * inputDim, (d + 1) * steps * inputDim);
    const values: Record<string, number[]> = Object.fromEntries(measures.names.map((m) => [m, [] as number[]]));
    for (let s = 0; s < steps; s++) {
      const v = measures.measure(images.subarray(s * inputDim, (s + 1) * inputDim), channels, h, w);
      for (const m of measures.names) values[m]!.push(v[m]!);
    }
    return { dim: d, sigma: sigmas[d]!, images, values };
  });
}

/** The least-squares slope of y on x over the points where y is finite (0 if fewer than two). */
export function leastSquaresSlope(x: readonly number[], y: readonly number[]): number {
  const keep = x.map((_, i) => i).filter((i) => Number.isFinite(y[i]!));
  if (keep.length < 2) return 0;
  const mx = mean(keep.map((i) => x[i]!));
  const my = mean(keep.map((i) => y[i]!));
  let sxy = 0;
  let sxx = 0;
  for (const i of keep) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
  }
  return sxx === 0 ? 0 : sxy / sxx;
}

/**
 * Whether `values` move one way (up for direction +1, down for -1) from first to last, never
 * falling back from the furthest point reached by more than MONOTONIC_TOLERANCE of their range. A flat or undefined
 * sequence is not monotonic: it shows no factor at all.
 */
export function isMonotonic(values: readonly number[], direction: number): boolean {
  if (direction === 0 || values.length < 2 || !values.every(Number.isFinite)) return false;
  const range = Math.max(...values) - Math.min(...values);
  if (range === 0) return false;
  // Against the highest point reached so far (for direction +1), so small steps back cannot add up to a reversal.
  let reached = values[0]! * direction;
  for (let i = 1; i < values.length; i++) {
    const v = values[i]! * direction;
    if (v < reached - MONOTONIC_TOLERANCE * range) return false;
    reached = Math.max(reached, v);
  }
  return true;
}
