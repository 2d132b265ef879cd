/** Figures made of image grids: what a person looks at to judge a VAE. */
import { Tensor } from '../engine/tensor.js';
import { imageRows, type GrayImage } from './grid.js';

/** Digits per row pair, so a large count wraps instead of making one endless strip. */
const PER_ROW = 16;

/**
 * Rows of originals, each followed by the row of their reconstructions. `reconstruct` maps a
 * batch [count, height * width] to decoded images of the same size.
 */
export function reconstructionFigure(
  reconstruct: (x: Tensor) => Float32Array,
  images: Float32Array,
  count: number,
  height: number,
  width: number,
  scale: number,
): GrayImage {
  const dim = height * width;
  const recon = reconstruct(new Tensor(images.subarray(0, count * dim), [count, dim]));
  const rows: Float32Array[] = [];
  for (let start = 0; start < count; start += PER_ROW) {
    const end = Math.min(start + PER_ROW, count);
    rows.push(images.subarray(start * dim, end * dim), recon.subarray(start * dim, end * dim));
  }
  return imageRows(rows, Math.min(count, PER_ROW), height, width, { scale });
}
