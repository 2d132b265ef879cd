/**
 * The posterior q(z|x) = N(mu, diag(exp(logvar))) of every image of a dataset, in batches to
 * keep memory flat. Images are given as they are stored (scaled to [0, 1], neither binarized
 * nor dequantized): the code of an image, not of one random rendering of it. A conditional
 * model sees each image's label.
 */
import { Tensor, noGrad } from '../engine/tensor.js';
import { batches } from '../data/batches.js';
import type { ImageDataset } from '../data/dataset.js';
import type { VAE } from '../vae/model.js';

export interface EncodedDataset {
  /** [count, latent] posterior means, row-major. */
  mu: Float32Array;
  /** [count, latent] posterior log-variances. */
  logvar: Float32Array;
  count: number;
  latent: number;
}

const ENCODE_BATCH = 500;

/**
 * Encodes every image of `data`. `onImages`, when given, sees each batch of images as the
 * encoder did (values in [0, 1]) with the index of its first image, so a caller can look at
 * the pictures in the same pass; the array is reused for the next batch.
 */
export function encodeDataset(
  model: VAE,
  data: ImageDataset,
  onImages?: (images: Float32Array, first: number, count: number) => void,
): EncodedDataset {
  const L = model.config.latent;
  const dim = model.config.inputDim;
  const mu = new Float32Array(data.count * L);
  const logvar = new Float32Array(data.count * L);
  let done = 0;
  noGrad(() => {
    for (const batch of batches(data, ENCODE_BATCH, { shuffle: null, binarize: 'none' })) {
      if (batch.x.length !== batch.size * dim) throw new RangeError(`the images have ${batch.x.length / batch.size} values each, the model expects ${dim}`);
      const q = model.encode(new Tensor(batch.x, [batch.size, dim]), model.classes > 0 ? batch.labels : undefined);
      mu.set(q.mu.data, done * L);
      logvar.set(q.logvar.data, done * L);
      onImages?.(batch.x, done, batch.size);
      done += batch.size;
    }
  });
  return { mu, logvar, count: data.count, latent: L };
}

/** KL(q(z_d|x) || N(0, 1)) per dimension d, averaged over the encoded images, in nats. */
export function klPerDimension(encoded: EncodedDataset): number[] {
  const { mu, logvar, count, latent: L } = encoded;
  const kl = new Float64Array(L);
  for (let i = 0; i < count; i++) {
    for (let d = 0; d < L; d++) {
      const m = mu[i * L + d]!;
      const lv = logvar[i * L + d]!;
      kl[d]! += 0.5 * (m * m + Math.exp(lv) - 1 - lv);
    }
  }
  return Array.from(kl, (v) => v / Math.max(1, count));
}

/** Column d of a row-major [count, latent] array, as doubles. */
export function latentColumn(codes: Float32Array, count: number, latent: number, d: number): Float64Array {
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) out[i] = codes[i * latent + d]!;
  return out;
}
