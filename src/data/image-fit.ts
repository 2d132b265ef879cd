/** How a picture of another shape is brought to the target's: cut, framed, or distorted. Browser-safe. */
export type ImageFit = 'crop' | 'pad' | 'stretch';
export const IMAGE_FITS: readonly ImageFit[] = ['crop', 'pad', 'stretch'];

// The arithmetic of fitting is shared by the folder loader and the explorer's dropped pictures,
// so that a picture dropped in the page becomes the bytes the loader makes of it.

/** The part of a picture that is mapped onto the target, in picture pixels; it may reach outside the picture (padding). */
export interface Region {
  x0: number;
  y0: number;
  width: number;
  height: number;
}

/**
 * Resamples the `region` of a w x h plane to outW x outH by area averaging: each output pixel
 * is the mean of the input over its footprint, partial input pixels weighted by their
 * overlap, and parts of the footprint outside the picture counted as 0. It neither aliases
 * when shrinking nor invents detail when enlarging.
 */
export function resampleRegion(src: Float32Array, w: number, h: number, region: Region, outW: number, outH: number): Float32Array {
  const out = new Float32Array(outW * outH);
  const sx = region.width / outW;
  const sy = region.height / outH;
  for (let oy = 0; oy < outH; oy++) {
    const y0 = region.y0 + oy * sy;
    const y1 = y0 + sy;
    for (let ox = 0; ox < outW; ox++) {
      const x0 = region.x0 + ox * sx;
      const x1 = x0 + sx;
      let acc = 0;
      for (let iy = Math.max(0, Math.floor(y0)); iy < Math.min(h, Math.ceil(y1)); iy++) {
        const wy = Math.min(y1, iy + 1) - Math.max(y0, iy);
        for (let ix = Math.max(0, Math.floor(x0)); ix < Math.min(w, Math.ceil(x1)); ix++) {
          const wx = Math.min(x1, ix + 1) - Math.max(x0, ix);
          acc += src[iy * w + ix]! * wx * wy;
        }
      }
      out[oy * outW + ox] = acc / (sx * sy);
    }
  }
  return out;
}

/** Resamples a whole w x h plane to outW x outH by area averaging (see resampleRegion). */
export function resizeArea(src: Float32Array, w: number, h: number, outW: number, outH: number): Float32Array {
  return resampleRegion(src, w, h, { x0: 0, y0: 0, width: w, height: h }, outW, outH);
}

/** What of a w x h picture maps onto a target of the given shape. */
export function fitRegion(w: number, h: number, target: { height: number; width: number }, fit: ImageFit): Region {
  const whole = { x0: 0, y0: 0, width: w, height: h };
  if (fit === 'stretch' || w * target.height === h * target.width) return whole;
  const wider = w * target.height > h * target.width;
  // Crop keeps the full short side and cuts the long one; pad keeps the long side and extends the short one.
  if (wider === (fit === 'crop')) {
    const width = (h * target.width) / target.height;
    return { x0: (w - width) / 2, y0: 0, width, height: h };
  }
  const height = (w * target.height) / target.width;
  return { x0: 0, y0: (h - height) / 2, width: w, height };
}
