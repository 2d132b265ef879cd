/**
 * A handwritten sample as the toolkit stores it: the drawing's ink cut out with a margin and
 * fitted, without distortion, into one fixed frame (32 x 128 by default, a word's shape),
 * centred, as 8-bit grey with the ink bright on black, the convention of MNIST and of every
 * grey figure here. The page draws dark ink on white, as on paper; this turns it around.
 * Browser-safe: the collect page and the server make the same bytes of the same drawing.
 */
import { resampleRegion } from '../data/image-fit.js';

export interface SampleFrame {
  height: number;
  width: number;
}

/** The frame of a collected sample: a word's shape, 4:1. */
export const SAMPLE_FRAME: Readonly<SampleFrame> = { height: 32, width: 128 };

/** Ink lighter than this share of full black is paper (anti-aliasing, a smudge of the pad). */
const INK_THRESHOLD = 0.1;
/** The margin around the ink, as a share of the ink's height (and at least a share of its width). */
const MARGIN = 0.12;

/**
 * How much ink each pixel of an RGBA drawing holds, in [0, 1]: transparent pixels are
 * paper (white), and the ink is the darkness of the colour laid over it.
 */
export function inkOf(rgba: Uint8Array | Uint8ClampedArray, width: number, height: number): Float32Array {
  const ink = new Float32Array(width * height);
  for (let i = 0; i < ink.length; i++) {
    const a = rgba[4 * i + 3]! / 255;
    const lum = (0.299 * rgba[4 * i]! + 0.587 * rgba[4 * i + 1]! + 0.114 * rgba[4 * i + 2]!) / 255;
    ink[i] = a * (1 - lum);
  }
  return ink;
}

/** The smallest box holding every pixel with ink, or null for a blank drawing. */
export function inkBox(ink: Float32Array, width: number, height: number): { x0: number; y0: number; x1: number; y1: number } | null {
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (ink[y * width + x]! <= INK_THRESHOLD) continue;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
  }
  return x1 < 0 ? null : { x0, y0, x1: x1 + 1, y1: y1 + 1 };
}

/**
 * The stored sample of a drawing: its ink box grown by a margin, scaled to fit `frame`
 * (keeping its proportions), centred; H x W bytes, ink 255. Null when nothing was drawn.
 */
export function sampleFromDrawing(rgba: Uint8Array | Uint8ClampedArray, width: number, height: number, frame: SampleFrame = SAMPLE_FRAME): Uint8Array | null {
  const ink = inkOf(rgba, width, height);
  const box = inkBox(ink, width, height);
  if (box === null) return null;
  const margin = Math.max(MARGIN * (box.y1 - box.y0), 0.03 * (box.x1 - box.x0), 1);
  let bw = box.x1 - box.x0 + 2 * margin;
  let bh = box.y1 - box.y0 + 2 * margin;
  // Grow the short side of the box to the frame's proportions; the ink stays centred.
  if (bw * frame.height > bh * frame.width) bh = (bw * frame.height) / frame.width;
  else bw = (bh * frame.width) / frame.height;
  const cx = (box.x0 + box.x1) / 2;
  const cy = (box.y0 + box.y1) / 2;
  // Outside the drawing counts as no ink, so a box reaching past the pad's edge is framed in black.
  const fitted = resampleRegion(ink, width, height, { x0: cx - bw / 2, y0: cy - bh / 2, width: bw, height: bh }, frame.width, frame.height);
  const out = new Uint8Array(fitted.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.round(Math.min(1, Math.max(0, fitted[i]!)) * 255);
  return out;
}
