/** The shape of a model's images, and how much to enlarge them so figures read at any size. */
import type { VaeConfig } from '../vae/config.js';

export interface ImageShape {
  /** 1 (grey) or 3 (RGB). */
  channels: number;
  height: number;
  width: number;
}

/** A model's image shape: its input holds channels x height x width values (CHW). */
export function modelImageShape(c: VaeConfig): ImageShape {
  const { imageHeight: height, imageWidth: width } = c;
  const channels = c.channels ?? 1;
  if (channels * height * width !== c.inputDim) {
    throw new RangeError(`a model with ${c.inputDim} inputs does not hold ${channels}x${height}x${width} images`);
  }
  return { channels, height, width };
}

/**
 * Integer upscale that shows an image about `target` pixels on its longer side: MNIST's 28
 * pixels at 2 (56) as the figures always have, a 64x64 image at 1.
 */
export function displayScale(shape: { height: number; width: number }, target = 56): number {
  return Math.max(1, Math.round(target / Math.max(shape.height, shape.width)));
}
