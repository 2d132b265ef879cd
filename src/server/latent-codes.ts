/**
 * Where the encoder puts images: the posterior means mu of q(z|x), the points of the latent
 * scatter. Means, not samples, so the picture does not flicker from one look to the next.
 */
import { Tensor, noGrad } from '../engine/tensor.js';
import type { VAE } from '../vae/model.js';
import { bytesToUnit } from '../data/dataset.js';

const CHUNK = 500;

/**
 * Posterior means of the first `count` images (each `dim` values: floats in [0, 1], or the
 * dataset's bytes, scaled a chunk at a time), as [count, latent] row-major. A conditional
 * model is told each image's label.
 */
export function encodeMeans(model: VAE, images: Float32Array | Uint8Array, count: number, dim: number, labels?: Uint8Array): Float32Array {
  const latent = model.config.latent;
  const out = new Float32Array(count * latent);
  noGrad(() => {
    for (let start = 0; start < count; start += CHUNK) {
      const n = Math.min(CHUNK, count - start);
      const chunk = images.subarray(start * dim, (start + n) * dim);
      const x = new Tensor(chunk instanceof Uint8Array ? bytesToUnit(chunk) : chunk, [n, dim]);
      const y = model.classes > 0 ? labels?.subarray(start, start + n) : undefined;
      out.set(model.encode(x, y).mu.data, start * latent);
    }
  });
  return out;
}

/** The same, a chunk at a time with the event loop free in between: a server stays responsive. */
export async function encodeMeansAsync(
  model: VAE,
  images: Float32Array | Uint8Array,
  count: number,
  dim: number,
  labels?: Uint8Array,
  onProgress?: (imagesDone: number) => void,
): Promise<Float32Array> {
  const latent = model.config.latent;
  const out = new Float32Array(count * latent);
  for (let start = 0; start < count; start += CHUNK) {
    const n = Math.min(CHUNK, count - start);
    out.set(encodeMeans(model, images.subarray(start * dim, (start + n) * dim), n, dim, labels?.subarray(start, start + n)), start * latent);
    onProgress?.(start + n);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return out;
}

/** Numbers for JSON, rounded: four decimals are far below what a scatter can show. */
export function rounded(values: Float32Array, decimals = 4): number[] {
  const scale = 10 ** decimals;
  return Array.from(values, (v) => Math.round(v * scale) / scale);
}

/** Pixel intensities in [0, 1] as integers 0..255: a quarter of the bytes of JSON floats. */
export function toBytes(pixels: Float32Array): number[] {
  return Array.from(pixels, (v) => Math.max(0, Math.min(255, Math.round(v * 255))));
}
