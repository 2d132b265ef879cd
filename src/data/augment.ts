/**
 * Augmentation for small image collections: each training image, each time it is served, is
 * changed a little in a way that keeps what it shows, so that a few hundred images stand for
 * many more. The draws come from the run's seeded generator, so the same seed gives the same
 * batches. Two kinds:
 *
 * shift: the picture moves by up to round(side / 16) pixels (at least 1) on each axis, 2 on
 * a 28-pixel side, 3 on 48, 4 on 64: enough to stop the model learning each picture's exact
 * place, small enough to keep every object in view. The pixels that come in from the border
 * repeat the edge (the background colour), rather than a black band no real image has.
 * Colour pictures are also mirrored left to right at random; grey collections are often
 * glyphs (digits, letters), whose mirror image is another glyph or none, so they are not.
 *
 * handwriting: what changes between two people writing the same word, and nothing that
 * changes the word: one affine warp (a small rotation, a shear of the slant, a change of
 * size, a shift) sampled bilinearly, then the pen made a little thicker or thinner by a
 * blend towards a 3 x 3 grey dilation (max) or erosion (min). The ranges are kept small
 * enough that a sample still reads as the same word in a plausible hand: rotations of up to
 * 4 degrees (a word written off the line a little; more turns the line itself), shears of up
 * to 10 degrees (people's slants span about +-30, so this blurs each sample's slant without
 * reaching another extreme), sizes within 8% (the collected samples are already fitted to
 * their frame by height, so larger changes would cut letters off or leave a word small in an
 * empty frame), shifts of up to 1/16 of the shorter side (2 px of a 32 x 128 word), and pen
 * changes of at most 0.6 of a dilation (about a pixel of stroke width) or 0.4 of an erosion
 * (thin strokes of a pixel or so would vanish under a whole one). No mirroring: a mirrored
 * word is not a word.
 */
import type { Random } from '../engine/random.js';

/** What `--augment` asks for: auto picks handwriting for grey data and shift for colour. */
export const AUGMENT_CHOICES = ['auto', 'shift', 'handwriting', 'none'] as const;
export type AugmentChoice = (typeof AUGMENT_CHOICES)[number];
/** The kinds a run records (config.json); `true` in runs from before kinds existed means shift. */
export const AUGMENT_KINDS = ['shift', 'handwriting'] as const;
export type AugmentKind = (typeof AUGMENT_KINDS)[number];

/** The kind a saved config's `augment` means, or null for none. */
export function augmentKindOf(saved: boolean | AugmentKind | undefined): AugmentKind | null {
  if (saved === undefined || saved === false) return null;
  return saved === true ? 'shift' : saved;
}

/** The kind `--augment CHOICE` gives data with these channels, or null for none. */
export function resolveAugmentChoice(choice: AugmentChoice, channels: number): AugmentKind | null {
  if (choice === 'none') return null;
  if (choice === 'auto') return channels === 1 ? 'handwriting' : 'shift';
  return choice;
}

/** Ranges of the handwriting warp; each is drawn uniformly from [-max, max] (scale: [1 - max, 1 + max]). */
export const HANDWRITING_RANGES = {
  rotationDeg: 4,
  shearDeg: 10,
  scale: 0.08,
  /** Of the shorter side. */
  shift: 1 / 16,
  /** Blend towards the 3 x 3 max (thicker pen). */
  dilate: 0.6,
  /** Blend towards the 3 x 3 min (thinner pen). */
  erode: 0.4,
} as const;

export interface Augmentation {
  kind: AugmentKind;
  channels: number;
  height: number;
  width: number;
  /** Largest shift in pixels along each axis. */
  shiftX: number;
  shiftY: number;
  /** Mirror half the images left to right (shift only). */
  flip: boolean;
}

/** The augmentation of this kind for images of this shape and kind. */
export function augmentationFor(
  image: { channels?: number; imageHeight: number; imageWidth: number },
  description: { noun: 'digit' | 'image' },
  kind: AugmentKind = 'shift',
): Augmentation {
  const channels = image.channels ?? 1;
  const shape = { channels, height: image.imageHeight, width: image.imageWidth };
  if (kind === 'handwriting') {
    const shift = HANDWRITING_RANGES.shift * Math.min(image.imageHeight, image.imageWidth);
    return { kind, ...shape, shiftX: shift, shiftY: shift, flip: false };
  }
  const shift = (side: number): number => Math.max(1, Math.round(side / 16));
  return { kind, ...shape, shiftX: shift(image.imageWidth), shiftY: shift(image.imageHeight), flip: channels === 3 && description.noun !== 'digit' };
}

/** One draw of the handwriting warp. */
export interface WarpParams {
  /** Shift in pixels, right and down. */
  dx: number;
  dy: number;
  /** Rotation in degrees, clockwise on the screen (y down). */
  rotationDeg: number;
  /** Shear in degrees about the image's middle row: positive leans the top to the right, raising the slant by this much. */
  shearDeg: number;
  /** Size factor about the image's centre. */
  scale: number;
  /** Pen: > 0 blends this share of the 3 x 3 max in (thicker), < 0 of the 3 x 3 min (thinner). */
  stroke: number;
}

export const IDENTITY_WARP: Readonly<WarpParams> = { dx: 0, dy: 0, rotationDeg: 0, shearDeg: 0, scale: 1, stroke: 0 };

let scratch = new Float32Array(0);
let spare = new Float32Array(0);

/**
 * The handwriting warp of one C x H x W image, `src` into `dst` (distinct arrays). The output
 * pixel p shows the source at c + A^-1 (p - c - t), with c the image's centre, t the shift
 * and A = rotation * shear * scale, read bilinearly with coordinates clamped to the image
 * (the edge repeats, as the shift augmentation's does); then the pen change.
 */
export function warpImage(src: Float32Array, dst: Float32Array, channels: number, h: number, w: number, p: WarpParams): void {
  const rad = Math.PI / 180;
  const cos = Math.cos(p.rotationDeg * rad);
  const sin = Math.sin(p.rotationDeg * rad);
  const k = Math.tan(p.shearDeg * rad);
  // Shear with y down: x' = x - k y (rows above the middle, y < 0, move right for k > 0).
  // A = R(theta) [[1, -k], [0, 1]] s, R clockwise on the screen: [[cos, -sin], [sin, cos]].
  const a00 = p.scale * cos;
  const a01 = p.scale * (-k * cos - sin);
  const a10 = p.scale * sin;
  const a11 = p.scale * (-k * sin + cos);
  const det = a00 * a11 - a01 * a10;
  const i00 = a11 / det;
  const i01 = -a01 / det;
  const i10 = -a10 / det;
  const i11 = a00 / det;
  const cx = (w - 1) / 2;
  const cy = (h - 1) / 2;
  const plane = h * w;
  const xMax = w - 1;
  const yMax = h - 1;
  for (let y = 0; y < h; y++) {
    const oy = y - cy - p.dy;
    // The source point moves by (i00, i10) from one output pixel to the next along a row.
    let sxRow = cx + i00 * (-cx - p.dx) + i01 * oy;
    let syRow = cy + i10 * (-cx - p.dx) + i11 * oy;
    for (let x = 0; x < w; x++, sxRow += i00, syRow += i10) {
      const sx = sxRow < 0 ? 0 : sxRow > xMax ? xMax : sxRow;
      const sy = syRow < 0 ? 0 : syRow > yMax ? yMax : syRow;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const x1 = x0 < xMax ? x0 + 1 : x0;
      const r0 = y0 * w;
      const r1 = (y0 < yMax ? y0 + 1 : y0) * w;
      const fx = sx - x0;
      const fy = sy - y0;
      for (let c = 0, o = 0; c < channels; c++, o += plane) {
        const a = src[o + r0 + x0]!;
        const b = src[o + r1 + x0]!;
        const top = a + fx * (src[o + r0 + x1]! - a);
        const bottom = b + fx * (src[o + r1 + x1]! - b);
        dst[o + y * w + x] = top + fy * (bottom - top);
      }
    }
  }
  if (p.stroke !== 0) changePen(dst, channels, h, w, p.stroke);
}

/**
 * Blends each pixel with the max (stroke > 0) or min (stroke < 0) of its 3 x 3 neighbourhood:
 * grey dilation or erosion, by a share. Ink is bright, so the max thickens strokes.
 */
function changePen(image: Float32Array, channels: number, h: number, w: number, stroke: number): void {
  const plane = h * w;
  if (spare.length < plane) spare = new Float32Array(plane);
  const t = Math.abs(stroke);
  // The 3 x 3 max (min) is the max (min) over 3 rows of each row's max (min) over 3 columns;
  // the min is taken as minus the max of the negated values, so one loop serves both.
  const sign = stroke > 0 ? 1 : -1;
  for (let c = 0; c < channels; c++) {
    const o = c * plane;
    for (let y = 0; y < h; y++) {
      const r = o + y * w;
      for (let x = 0; x < w; x++) {
        let m = sign * image[r + x]!;
        if (x > 0) {
          const v = sign * image[r + x - 1]!;
          if (v > m) m = v;
        }
        if (x < w - 1) {
          const v = sign * image[r + x + 1]!;
          if (v > m) m = v;
        }
        spare[y * w + x] = m;
      }
    }
    for (let y = 0; y < h; y++) {
      const r = o + y * w;
      for (let x = 0; x < w; x++) {
        const i = y * w + x;
        let m = spare[i]!;
        if (y > 0 && spare[i - w]! > m) m = spare[i - w]!;
        if (y < h - 1 && spare[i + w]! > m) m = spare[i + w]!;
        const v = image[r + x]!;
        image[r + x] = v + t * (sign * m - v);
      }
    }
  }
}

/** One draw of the handwriting warp, in a fixed order: shift x, shift y, rotation, shear, scale, pen. */
export function drawWarp(a: Augmentation, rng: Random): WarpParams {
  const r = HANDWRITING_RANGES;
  const between = (max: number): number => (2 * rng.uniform() - 1) * max;
  const dx = between(a.shiftX);
  const dy = between(a.shiftY);
  const rotationDeg = between(r.rotationDeg);
  const shearDeg = between(r.shearDeg);
  const scale = 1 + between(r.scale);
  const u = between(1);
  const stroke = u >= 0 ? u * r.dilate : u * r.erode;
  return { dx, dy, rotationDeg, shearDeg, scale, stroke };
}

/**
 * Augments each of the `count` images of the batch `x` (C x H x W each, one after another)
 * in place. Shift: per image it draws, in this order, the horizontal shift, the vertical
 * shift and (when flipping) whether to mirror. Handwriting: per image, drawWarp's draws.
 */
export function augmentBatch(x: Float32Array, count: number, a: Augmentation, rng: Random): void {
  if (a.kind === 'handwriting') {
    const values = a.channels * a.height * a.width;
    if (scratch.length < values) scratch = new Float32Array(values);
    for (let i = 0; i < count; i++) {
      const image = x.subarray(i * values, (i + 1) * values);
      scratch.set(image);
      warpImage(scratch, image, a.channels, a.height, a.width, drawWarp(a, rng));
    }
    return;
  }
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
  if (a.kind === 'handwriting') {
    const r = HANDWRITING_RANGES;
    const px = Number(a.shiftX.toFixed(1));
    return (
      `handwriting: rotations of up to ${r.rotationDeg}\u00b0, shears of up to ${r.shearDeg}\u00b0, sizes within ${Math.round(r.scale * 100)}%, ` +
      `shifts of up to ${px} px, the pen a little thicker or thinner`
    );
  }
  const shift = a.shiftX === a.shiftY ? `${a.shiftX} px` : `${a.shiftX} px across, ${a.shiftY} px down`;
  return `shifts of up to ${shift}${a.flip ? ', mirrored left to right at random' : ' (no mirroring: grey images may be glyphs)'}`;
}
