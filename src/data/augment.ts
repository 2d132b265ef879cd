/**
 * Augmentation for small image collections: each training image, each time it is served, is
 * moved by a few pixels (and mirrored left to right where a mirror image is still an image
 * of the same kind), so that a few hundred images stand for many more. The draws come from
 * the run's seeded generator, so the same seed gives the same batches.
 *
 * Shifts move the picture by up to round(side / 16) pixels (at least 1) on each axis, 2 on
 * a 28-pixel side, 3 on 48, 4 on 64: enough to stop the model learning each picture's exact
 * place, small enough to keep every object in view. The pixels that come in from the border
 * repeat the edge (the background colour), rather than a black band no real image has.
 * Mirroring is only for colour data: grey collections are often glyphs (digits, letters),
 * whose mirror image is another glyph or none, so they are only shifted.
 */
import type { Random } from '../engine/random.js';

export interface Augmentation {
  channels: number;
  height: number;
  width: number;
  /** Largest shift in pixels along each axis. */
  shiftX: number;
  shiftY: number;
  /** Mirror half the images left to right. */
  flip: boolean;
}

/** The augmentation that suits images of this shape and kind. */
export function augmentationFor(image: { channels?: number; imageHeight: number; imageWidth: number }, description: { noun: 'digit' | 'image' }): Augmentation {
  const channels = image.channels ?? 1;
  const shift = (side: number): number => Math.max(1, Math.round(side / 16));
  return {
    channels,
    height: image.imageHeight,
    width: image.imageWidth,
    shiftX: shift(image.imageWidth),
    shiftY: shift(image.imageHeight),
    flip: channels === 3 && description.noun !== 'digit',
  };
}

let scratch = new Float32Array(0);

/**
 * Shifts (and maybe mirrors) each of the `count` images of the batch `x` (C x H x W each,
 * one after another) in place. Per image it draws, in this order, the horizontal shift, the
 * vertical shift and (when flipping) whether to mirror.
 */
export function augmentBatch(x: Float32Array, count: number, a: Augmentation, rng: Random): void {
  const { channels, height: h, width: w } = a;
  const plane = h * w;
  const values = channels * plane;
  if (scratch.length < values) scratch = new Float32Array(values);
  for (let i = 0; i < count; i++) {
    const dx = rng.int(2 * a.shiftX + 1) - a.shiftX;
    const dy = rng.int(2 * a.shiftY + 1) - a.shiftY;
    const mirror = a.flip && rng.uniform() < 0.5;
    if (dx === 0 && dy === 0 && !mirror) continue;
    const image = x.subarray(i * values, (i + 1) * values);
    scratch.set(image);
    for (let c = 0; c < channels; c++) {
      const from = c * plane;
      for (let y = 0; y < h; y++) {
        // The output pixel (x, y) shows the source pixel (x - dx, y - dy), mirrored first, clamped to the edge.
        const sy = Math.min(h - 1, Math.max(0, y - dy));
        for (let xx = 0; xx < w; xx++) {
          const shifted = Math.min(w - 1, Math.max(0, xx - dx));
          const sx = mirror ? w - 1 - shifted : shifted;
          image[from + y * w + xx] = scratch[from + sy * w + sx]!;
        }
      }
    }
  }
}

/** In a few words, for the run header: `shifts of up to 3 px, mirrored left to right`. */
export function describeAugmentation(a: Augmentation): string {
  const shift = a.shiftX === a.shiftY ? `${a.shiftX} px` : `${a.shiftX} px across, ${a.shiftY} px down`;
  return `shifts of up to ${shift}${a.flip ? ', mirrored left to right at random' : ' (no mirroring: grey images may be glyphs)'}`;
}
