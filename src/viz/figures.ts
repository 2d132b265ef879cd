/** Figures made of image grids: what a person looks at to judge a VAE. */
import { Tensor } from '../engine/tensor.js';
import { imageRows, type ImageValues, type RasterImage } from './grid.js';
import type { ImageShape } from './image-shape.js';
import { bytesToUnit } from '../data/dataset.js';

/** Images per row pair, so a large count wraps instead of making one endless strip. */
const PER_ROW = 16;

/**
 * Rows of originals, each followed by the row of their reconstructions. `images` are CHW, as
 * floats in [0, 1] or as bytes; `reconstruct` maps a batch [count, channels * height * width]
 * of floats to decoded images of the same size.
 */
export function reconstructionFigure(
  reconstruct: (x: Tensor) => Float32Array,
  images: ImageValues,
  count: number,
  shape: ImageShape,
  scale: number,
): RasterImage {
  const { channels, height, width } = shape;
  const dim = channels * height * width;
  const batch = images.subarray(0, count * dim);
  // Bytes become the floats b / 255 the model was trained on.
  const x = batch instanceof Float32Array ? batch : bytesToUnit(batch);
  const recon = reconstruct(new Tensor(x, [count, dim]));
  const rows: ImageValues[] = [];
  for (let start = 0; start < count; start += PER_ROW) {
    const end = Math.min(start + PER_ROW, count);
    rows.push(images.subarray(start * dim, end * dim), recon.subarray(start * dim, end * dim));
  }
  return imageRows(rows, Math.min(count, PER_ROW), height, width, { scale, channels });
}
