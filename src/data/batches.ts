/**
 * Minibatches for training and evaluation, with optional shuffling and binarization. Datasets
 * hold bytes; a batch is where they become floats (scaled, binarized or dequantized), so
 * only one batch of floats exists at a time.
 */
import type { Random } from '../engine/random.js';
import { BYTE_TO_UNIT, valuesPerImage, type ImageDataset } from './dataset.js';

/**
 * 'dynamic' resamples every pixel as Bernoulli(intensity) each time it is served, the usual
 * treatment of MNIST for Bernoulli-likelihood VAEs; it also acts as a regularizer.
 */
export type Binarize = 'none' | 'dynamic';

export interface Batch {
  /** size * values per image (CHW per example), in [0, 1]. */
  x: Float32Array;
  labels: Uint8Array;
  size: number;
  /** Position of this batch within the epoch, from 0. */
  index: number;
}

export interface BatchOptions {
  /** A generator to shuffle with (one fresh permutation per call), or null for dataset order. */
  shuffle: Random | null;
  binarize: Binarize;
  /** Generator for binarization when not shuffling; ignored when `shuffle` is given. */
  rng?: Random;
  /**
   * Serve 8-bit pixels as x = (k + u) / 256 with u ~ U(0, 1) drawn afresh each time: the
   * dequantization a continuous density needs (it could otherwise pile infinite density on
   * the 256 grey levels).
   */
  dequantize?: boolean;
}

export function numBatches(count: number, batchSize: number): number {
  return Math.ceil(count / batchSize);
}

/**
 * One epoch of minibatches; the last one is smaller when batchSize does not divide the count.
 *
 * The yielded arrays are reused from one batch to the next (allocating 100 KB per step adds
 * up), so a batch is only valid until the iterator is advanced; copy it to keep it.
 *
 * Arguments are checked and the permutation is drawn when this is called, not at the first
 * `next()`, so mistakes surface at the call site and the generator's state advances at a
 * predictable point. Binarization draws then follow in batch order, pixel by pixel.
 */
export function batches(ds: ImageDataset, batchSize: number, opts: BatchOptions): Generator<Batch> {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`batch size must be a positive integer, got ${batchSize}`);
  }
  const binRng = opts.binarize === 'dynamic' ? (opts.shuffle ?? opts.rng ?? null) : null;
  if (opts.binarize === 'dynamic' && binRng === null) {
    throw new TypeError('dynamic binarization needs a random generator (shuffle or rng)');
  }
  if (opts.binarize === 'dynamic' && opts.dequantize === true) {
    throw new TypeError('dequantization is for grey pixels; binarized pixels are already discrete');
  }
  const deqRng = opts.dequantize === true ? (opts.shuffle ?? opts.rng ?? null) : null;
  if (opts.dequantize === true && deqRng === null) throw new TypeError('dequantization needs a random generator (shuffle or rng)');
  const order = opts.shuffle ? opts.shuffle.permutation(ds.count) : null;
  return generate(ds, batchSize, order, binRng, deqRng);
}

function* generate(
  ds: ImageDataset,
  batchSize: number,
  order: Uint32Array | null,
  binRng: Random | null,
  deqRng: Random | null = null,
): Generator<Batch> {
  const values = valuesPerImage(ds);
  const full = Math.min(batchSize, ds.count);
  const xBuf = new Float32Array(full * values);
  const labelBuf = new Uint8Array(full);
  const { pixels, labels, count } = ds;
  const lut = BYTE_TO_UNIT;

  for (let start = 0, index = 0; start < count; start += batchSize, index++) {
    const size = Math.min(batchSize, count - start);
    // The short last batch gets views of the same buffers rather than new arrays.
    const x = size === full ? xBuf : xBuf.subarray(0, size * values);
    const lab = size === full ? labelBuf : labelBuf.subarray(0, size);

    for (let b = 0; b < size; b++) {
      const i = order === null ? start + b : order[start + b]!;
      const from = i * values;
      const to = b * values;
      // Draws go pixel by pixel in batch order, and compare against the float32 of b / 255,
      // as they did when datasets held those floats: the same seed gives the same batches.
      if (binRng !== null) {
        for (let k = 0; k < values; k++) x[to + k] = binRng.uniform() < lut[pixels[from + k]!]! ? 1 : 0;
      } else if (deqRng !== null) {
        for (let k = 0; k < values; k++) x[to + k] = (pixels[from + k]! + deqRng.uniform()) / 256;
      } else {
        for (let k = 0; k < values; k++) x[to + k] = lut[pixels[from + k]!]!;
      }
      lab[b] = labels[i]!;
    }
    yield { x, labels: lab, size, index };
  }
}
