/** Minibatches for training and evaluation, with optional shuffling and binarization. */
import type { Random } from '../engine/random.js';
import { pixelsPerImage, type ImageDataset } from './dataset.js';

/**
 * 'dynamic' resamples every pixel as Bernoulli(intensity) each time it is served, the usual
 * treatment of MNIST for Bernoulli-likelihood VAEs; it also acts as a regularizer.
 */
export type Binarize = 'none' | 'dynamic';

export interface Batch {
  /** size * pixels, row-major per example. */
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
   * the 256 grey levels). Pixels are read as k = round(255 p) from their [0, 1] values.
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
  const pixels = pixelsPerImage(ds);
  const full = Math.min(batchSize, ds.count);
  const xBuf = new Float32Array(full * pixels);
  const labelBuf = new Uint8Array(full);
  const { images, labels, count } = ds;

  for (let start = 0, index = 0; start < count; start += batchSize, index++) {
    const size = Math.min(batchSize, count - start);
    // The short last batch gets views of the same buffers rather than new arrays.
    const x = size === full ? xBuf : xBuf.subarray(0, size * pixels);
    const lab = size === full ? labelBuf : labelBuf.subarray(0, size);

    if (order === null) {
      x.set(images.subarray(start * pixels, (start + size) * pixels));
      lab.set(labels.subarray(start, start + size));
    } else {
      for (let b = 0; b < size; b++) {
        const i = order[start + b]!;
        x.set(images.subarray(i * pixels, (i + 1) * pixels), b * pixels);
        lab[b] = labels[i]!;
      }
    }
    if (binRng !== null) {
      for (let k = 0; k < x.length; k++) x[k] = binRng.uniform() < x[k]! ? 1 : 0;
    }
    if (deqRng !== null) {
      for (let k = 0; k < x.length; k++) x[k] = (Math.round(x[k]! * 255) + deqRng.uniform()) / 256;
    }
    yield { x, labels: lab, size, index };
  }
}
