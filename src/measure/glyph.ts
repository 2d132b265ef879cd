/**
 * The Morpho-MNIST measures of a glyph (Castro et al. 2019, "Morpho-MNIST: quantitative
 * assessment and diagnostics for representation learning", section 2.1), implemented here
 * from the paper's definitions:
 *
 * - the image is upscaled (4x for small images, as the paper does, by cubic interpolation)
 *   and binarized at half its intensity range (min + (max - min) / 2);
 * - area: ink pixels of the binary image;
 * - length: the skeleton's length, each step between 8-neighbouring skeleton pixels counted
 *   1 (straight) or sqrt(2) (diagonal);
 * - thickness: twice the mean Euclidean distance transform along the skeleton (the distance
 *   from a skeleton pixel to the nearest background pixel is half the local stroke width);
 * - slant: the horizontal shear that the second-order central moments of the upscaled grey
 *   image give, atan(-mu11 / mu02) with x to the right and y down, in degrees;
 * - width and height: of the bounding parallelogram, that is the box in shear-corrected
 *   coordinates (x - shear * (y - centroid y)), over the central 98% of the ink (the paper
 *   trims 1% on each side so that a stray speck does not stretch the box; a uniform box so
 *   measures 2% short of its full size). The paper weighs the grey upscaled image here; we
 *   count the binary ink pixels, so that anti-aliased edges and the haze of a decoded image
 *   do not widen the box.
 *
 * Every length is in pixels of the image given (the upscale is divided out), area in square
 * pixels. Slant sign: positive when the top of the glyph leans to the right, as handwriting
 * slanted right; that is also the sign of the paper's slant (its atan(-shear) with y pointing
 * down), which it gives in radians and we in degrees.
 *
 * The skeleton is Zhang-Suen thinning followed by one pass that removes the corner pixels of
 * staircases (so a diagonal stroke is a chain of diagonal steps, not of right angles, and its
 * length is not overcounted), and the pruning of spurs: end branches no longer than the
 * stroke's radius where they join, which thinning grows towards bumps of the outline. The
 * paper uses scikit-image's medial axis, which keeps such spurs: its lengths run about 2.5
 * pixels longer than ours on MNIST digits. The distance transform is the exact Euclidean one
 * (separable, as in Felzenszwalb and Huttenlocher 2012, but evaluated only at skeleton
 * pixels), with the outside of the image counted as background.
 */

export const GLYPH_MEASURES = ['area', 'length', 'thickness', 'slant_deg', 'width', 'height'] as const;
export type GlyphMeasure = (typeof GLYPH_MEASURES)[number];

/** Mass trimmed from the bounding parallelogram, both sides together (the paper's 2%). */
const BOX_TRIM = 0.02;
/** The upscaled image stays below about this side, so large images do not cost quadratically more than the paper's 112 x 112. */
const MAX_UPSCALED_SIDE = 256;

/** The upscale factor: the paper's 4 for small images, less for large ones, never below 1. */
export function glyphScale(height: number, width: number): number {
  return Math.max(1, Math.min(4, Math.floor(MAX_UPSCALED_SIDE / Math.max(height, width))));
}

/**
 * The Morpho-MNIST measures of one grey image: height*width values in [0, 1] (ink bright,
 * background dark), row-major. An image without contrast (blank, or one grey level) has no
 * glyph: every measure is 0.
 */
export function measureGlyph(image: Float32Array, height: number, width: number): Record<GlyphMeasure, number> {
  if (!Number.isInteger(height) || !Number.isInteger(width) || height < 1 || width < 1) {
    throw new RangeError(`measureGlyph: image size must be positive integers, got ${height}x${width}`);
  }
  if (image.length !== height * width) {
    throw new RangeError(`measureGlyph: expected ${height * width} values for ${height}x${width}, got ${image.length}`);
  }
  const s = glyphScale(height, width);
  const g = upscaled(image, height, width, s);
  const ink = binarized(g);
  if (ink === null) return { area: 0, length: 0, thickness: 0, slant_deg: 0, width: 0, height: 0 };

  const pw = g.paddedWidth;
  const columnDistance = verticalDistances(ink);
  const skeleton = pruned(thinned(ink), pw, columnDistance);
  const skel = skeleton.pixels;
  let length = 0;
  let distanceSum = 0;
  let skeletonCount = 0;
  for (const p of skeleton.indices) {
    if (skel[p] === 0) continue;
    skeletonCount++;
    distanceSum += distanceToBackground(columnDistance, p);
    // Each step counted once: from every pixel, only the neighbours east, south-east, south and south-west.
    length += skel[p + 1]! + skel[p + pw]! + Math.SQRT2 * (skel[p + pw + 1]! + skel[p + pw - 1]!);
  }

  const m = moments(g);
  const shear = m.u02 > 0 ? m.u11 / m.u02 : 0;
  const box = boundingParallelogram(ink, shear, m.cy);
  return {
    area: ink.area / (s * s),
    length: length / s,
    thickness: skeletonCount > 0 ? (2 * distanceSum) / skeletonCount / s : 0,
    slant_deg: (Math.atan(-shear) * 180) / Math.PI,
    width: box.width / s,
    height: box.height / s,
  };
}

/** An upscaled grey image inside a one-pixel frame of background, so neighbour lookups never leave the array. */
interface Upscaled {
  values: Float32Array;
  height: number;
  width: number;
  paddedWidth: number;
  paddedHeight: number;
  /** The computed region, unpadded, half-open: columns [X0, X1), rows [Y0, Y1); 0 elsewhere. */
  X0: number;
  X1: number;
  Y0: number;
  Y1: number;
  /** Least and greatest value. */
  lo: number;
  hi: number;
}

/** Catmull-Rom weights (cubic convolution with a = -0.5, Keys 1981) of the 4 taps around t in [0, 1). */
function cubicWeights(t: number, into: Float64Array, at: number): void {
  const t2 = t * t;
  const t3 = t2 * t;
  into[at] = -0.5 * t3 + t2 - 0.5 * t;
  into[at + 1] = 1.5 * t3 - 2.5 * t2 + 1;
  into[at + 2] = -1.5 * t3 + 2 * t2 + 0.5 * t;
  into[at + 3] = 0.5 * t3 - 0.5 * t2;
}

interface Taps {
  /** First input index of each output sample's 4 taps, unclamped. */
  first: Int32Array;
  /** The 4 input indices of each output sample, clamped to the image (its edge repeats beyond). */
  index: Int32Array;
  weights: Float64Array;
}

const tapCache = new Map<string, Taps>();

/** For each of n*s output samples, its 4 input taps and weights; pixel centres aligned (output i sits at input (i + 0.5)/s - 0.5). */
function taps(n: number, s: number): Taps {
  const key = `${n}x${s}`;
  const cached = tapCache.get(key);
  if (cached !== undefined) return cached;
  const out = n * s;
  const first = new Int32Array(out);
  const index = new Int32Array(out * 4);
  const weights = new Float64Array(out * 4);
  for (let i = 0; i < out; i++) {
    const u = (i + 0.5) / s - 0.5;
    const base = Math.floor(u);
    first[i] = base - 1;
    for (let k = 0; k < 4; k++) index[i * 4 + k] = Math.min(n - 1, Math.max(0, base - 1 + k));
    cubicWeights(u - base, weights, i * 4);
  }
  const made = { first, index, weights };
  if (tapCache.size > 64) tapCache.clear();
  tapCache.set(key, made);
  return made;
}

/**
 * Separable cubic upscale; beyond its edges the image repeats its edge pixels (so a uniform
 * background stays uniform), results clamped to the image's own range (within [0, 1]). Only the region that rows and columns with some ink can reach is computed (the
 * rest stays 0): a digit's margins cost nothing.
 */
function upscaled(image: Float32Array, h: number, w: number, s: number): Upscaled {
  const H = h * s;
  const W = w * s;
  const pw = W + 2;
  const ph = H + 2;
  const values = new Float32Array(pw * ph);
  const rowHasInk = new Uint8Array(h);
  let c0 = w;
  let c1 = -1;
  let least = Infinity;
  let most = -Infinity;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = image[y * w + x]!;
      if (v < least) least = v;
      if (v > most) most = v;
      if (v === 0) continue;
      rowHasInk[y] = 1;
      if (x < c0) c0 = x;
      if (x > c1) c1 = x;
    }
  }
  // Cubic interpolation over- and undershoots at edges; values beyond the image's own range are ringing, not ink.
  const floor = Math.max(0, Math.min(1, least));
  const ceiling = Math.max(floor, Math.min(1, most));
  const tx = taps(w, s);
  const ty = taps(h, s);
  // Output columns whose taps reach [c0, c1], output rows whose taps reach a row with ink.
  let X0 = W;
  let X1 = 0;
  for (let X = 0; X < W; X++) {
    const f = tx.first[X]!;
    if (f + 3 >= c0 && f <= c1) {
      if (X < X0) X0 = X;
      X1 = X + 1;
    }
  }
  const rows = new Float32Array(h * W);
  const xi = tx.index;
  const xw = tx.weights;
  for (let y = 0; y < h; y++) {
    if (!rowHasInk[y]) continue;
    const row = y * w;
    const dst = y * W;
    for (let X = X0; X < X1; X++) {
      const t = X * 4;
      rows[dst + X] =
        xw[t]! * image[row + xi[t]!]! +
        xw[t + 1]! * image[row + xi[t + 1]!]! +
        xw[t + 2]! * image[row + xi[t + 2]!]! +
        xw[t + 3]! * image[row + xi[t + 3]!]!;
    }
  }
  let Y0 = H;
  let Y1 = 0;
  let lo = Infinity;
  let hi = -Infinity;
  const yi = ty.index;
  const yw = ty.weights;
  for (let Y = 0; Y < H; Y++) {
    const t = Y * 4;
    // Rows without ink are 0 in `rows`, so they may take part; an output row none of whose rows has ink stays 0.
    if (!(rowHasInk[yi[t]!] || rowHasInk[yi[t + 1]!] || rowHasInk[yi[t + 2]!] || rowHasInk[yi[t + 3]!])) continue;
    if (Y < Y0) Y0 = Y;
    Y1 = Y + 1;
    const r0 = yi[t]! * W;
    const r1 = yi[t + 1]! * W;
    const r2 = yi[t + 2]! * W;
    const r3 = yi[t + 3]! * W;
    const w0 = yw[t]!;
    const w1 = yw[t + 1]!;
    const w2 = yw[t + 2]!;
    const w3 = yw[t + 3]!;
    const out = (Y + 1) * pw + 1;
    for (let X = X0; X < X1; X++) {
      const v = w0 * rows[r0 + X]! + w1 * rows[r1 + X]! + w2 * rows[r2 + X]! + w3 * rows[r3 + X]!;
      const c = v < floor ? floor : v > ceiling ? ceiling : v;
      values[out + X] = c;
      if (c < lo) lo = c;
      if (c > hi) hi = c;
    }
  }
  // The part not computed is 0.
  if (Y1 - Y0 < H || X1 - X0 < W) lo = Math.min(lo, 0);
  if (Y1 <= Y0) {
    lo = 0;
    hi = 0;
  }
  return { values, height: H, width: W, paddedWidth: pw, paddedHeight: ph, X0, X1, Y0, Y1, lo, hi };
}

/** The binary image: ink pixels set, in the padded layout of the upscaled image, with the box they lie in. */
interface Ink {
  pixels: Uint8Array;
  paddedWidth: number;
  area: number;
  /** Padded coordinates of the first and last column and row with ink. */
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

/** Ink where the upscaled image reaches half its intensity range; null when it has no contrast. */
function binarized(g: Upscaled): Ink | null {
  const { lo, hi } = g;
  if (!(hi - lo > 1e-6)) return null;
  // Above lo, so the region left at 0 is never ink.
  const threshold = lo + 0.5 * (hi - lo);
  const pw = g.paddedWidth;
  const pixels = new Uint8Array(g.values.length);
  let area = 0;
  let x0 = pw;
  let x1 = -1;
  let y0 = g.paddedHeight;
  let y1 = -1;
  for (let y = g.Y0 + 1; y <= g.Y1; y++) {
    const row = y * pw;
    for (let x = g.X0 + 1; x <= g.X1; x++) {
      if (g.values[row + x]! < threshold) continue;
      pixels[row + x] = 1;
      area++;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      y1 = y;
    }
  }
  return { pixels, paddedWidth: pw, area, x0, x1, y0, y1 };
}

/*
 * Neighbourhood codes: bit 0 north, then clockwise: 1 north-east, 2 east, 3 south-east,
 * 4 south, 5 south-west, 6 west, 7 north-west (Zhang and Suen's P2..P9).
 */
function neighbourCode(b: Uint8Array, p: number, pw: number): number {
  return (
    b[p - pw]! |
    (b[p - pw + 1]! << 1) |
    (b[p + 1]! << 2) |
    (b[p + pw + 1]! << 3) |
    (b[p + pw]! << 4) |
    (b[p + pw - 1]! << 5) |
    (b[p - 1]! << 6) |
    (b[p - pw - 1]! << 7)
  );
}

const bit = (code: number, i: number): number => (code >> i) & 1;

/** Zhang and Suen (1984): which codes each of the two sub-iterations deletes. */
function zhangSuenTables(): [Uint8Array, Uint8Array] {
  const first = new Uint8Array(256);
  const second = new Uint8Array(256);
  for (let c = 0; c < 256; c++) {
    let neighbours = 0;
    let transitions = 0;
    for (let i = 0; i < 8; i++) {
      neighbours += bit(c, i);
      if (bit(c, i) === 0 && bit(c, (i + 1) % 8) === 1) transitions++;
    }
    if (neighbours < 2 || neighbours > 6 || transitions !== 1) continue;
    // Zhang-Suen erases a lone 2 x 2 block whole (a disc thins down to one): keep its top-left pixel.
    if (c === 0b00011100) continue;
    const [n, e, s, w] = [bit(c, 0), bit(c, 2), bit(c, 4), bit(c, 6)];
    if (n * e * s === 0 && e * s * w === 0) first[c] = 1;
    if (n * e * w === 0 && n * s * w === 0) second[c] = 1;
  }
  return [first, second];
}

/**
 * Codes of a staircase corner: a pixel with two 4-neighbours at a right angle, whose removal
 * keeps its neighbours connected (Yokoi's 8-connectivity number is 1). Removing it turns two
 * unit steps into one diagonal one.
 */
function staircaseTable(): Uint8Array {
  const table = new Uint8Array(256);
  // Counter-clockwise from east, as Yokoi's formula reads them: E, NE, N, NW, W, SW, S, SE.
  const ring = [2, 1, 0, 7, 6, 5, 4, 3];
  for (let c = 0; c < 256; c++) {
    const [n, e, s, w] = [bit(c, 0), bit(c, 2), bit(c, 4), bit(c, 6)];
    if (!((n && e) || (e && s) || (s && w) || (w && n))) continue;
    const off = (k: number): number => 1 - bit(c, ring[k % 8]!);
    let connectivity = 0;
    for (const k of [0, 2, 4, 6]) connectivity += off(k) - off(k) * off(k + 1) * off(k + 2);
    if (connectivity === 1) table[c] = 1;
  }
  return table;
}

const [ZS_FIRST, ZS_SECOND] = zhangSuenTables();
const STAIRCASE = staircaseTable();

/** The skeleton as a fresh binary image, and the indices of its pixels. */
function thinned(ink: Ink): { pixels: Uint8Array; indices: Int32Array } {
  const b = ink.pixels.slice();
  const pw = ink.paddedWidth;
  const live = new Int32Array(ink.area);
  const doomed = new Int32Array(ink.area);
  let count = 0;
  for (let y = ink.y0; y <= ink.y1; y++) {
    for (let x = ink.x0; x <= ink.x1; x++) if (b[y * pw + x]) live[count++] = y * pw + x;
  }
  for (let changed = true; changed; ) {
    changed = false;
    for (const table of [ZS_FIRST, ZS_SECOND]) {
      // Deletions wait until the whole sub-iteration has looked: Zhang-Suen is a parallel algorithm.
      let nDoomed = 0;
      let kept = 0;
      for (let i = 0; i < count; i++) {
        const p = live[i]!;
        // With all four side neighbours set a pixel is never deleted (both sub-iterations need one unset): skip the lookup.
        if (b[p - pw]! & b[p + 1]! & b[p + pw]! & b[p - 1]!) live[kept++] = p;
        else if (table[neighbourCode(b, p, pw)]) doomed[nDoomed++] = p;
        else live[kept++] = p;
      }
      for (let i = 0; i < nDoomed; i++) b[doomed[i]!] = 0;
      if (nDoomed > 0) changed = true;
      count = kept;
    }
  }
  // Sequential, so that each removal sees the ones before it and a staircase loses every other corner, not all.
  let kept = 0;
  for (let i = 0; i < count; i++) {
    const p = live[i]!;
    if (STAIRCASE[neighbourCode(b, p, pw)]) b[p] = 0;
    else live[kept++] = p;
  }
  return { pixels: b, indices: live.subarray(0, kept) };
}

const NEIGHBOURS = Uint8Array.from({ length: 256 }, (_, c) => {
  let n = 0;
  for (let i = 0; i < 8; i++) n += bit(c, i);
  return n;
});

/** Offsets of the 8 neighbours in the order of the code's bits. */
function neighbourOffsets(pw: number): number[] {
  return [-pw, -pw + 1, 1, pw + 1, pw, pw - 1, -1, -pw - 1];
}

/**
 * The skeleton without its spurs: thinning grows a short branch towards every bump of a
 * jagged outline. A branch from an end to a junction that is no longer than the stroke's
 * radius at the junction lies within the stroke's own width there, so it is a bump and not a
 * stroke; it goes. Branches are judged once, on the skeleton as thinned.
 */
function pruned(skeleton: { pixels: Uint8Array; indices: Int32Array }, pw: number, columnDistance: Int32Array): { pixels: Uint8Array; indices: Int32Array } {
  const b = skeleton.pixels;
  const offsets = neighbourOffsets(pw);
  const ends: number[] = [];
  for (const p of skeleton.indices) if (NEIGHBOURS[neighbourCode(b, p, pw)] === 1) ends.push(p);
  const doomed: number[] = [];
  const path: number[] = [];
  for (const end of ends) {
    path.length = 0;
    let previous = -1;
    let current = end;
    let junction = -1;
    for (;;) {
      const code = neighbourCode(b, current, pw);
      const n = NEIGHBOURS[code]!;
      if (n >= 3) {
        junction = current;
        break;
      }
      path.push(current);
      if (n === 1 && current !== end) break; // the other end: a lone stroke, kept whole
      let next = -1;
      for (let i = 0; i < 8; i++) if ((code >> i) & 1 && current + offsets[i]! !== previous) next = current + offsets[i]!;
      if (next < 0 || path.length > b.length) break;
      previous = current;
      current = next;
    }
    if (junction >= 0 && path.length <= distanceToBackground(columnDistance, junction)) doomed.push(...path);
  }
  for (const p of doomed) b[p] = 0;
  // What was a spur's junction can be left as a one-pixel bump on the stroke (a triangle of three pixels): flatten it.
  for (const p of skeleton.indices) if (b[p] && TIP[neighbourCode(b, p, pw)]) b[p] = 0;
  return skeleton;
}

/** Codes of a pixel whose only two neighbours touch each other: the tip of a three-pixel triangle, removable without cutting anything. */
const TIP = Uint8Array.from({ length: 256 }, (_, c) => {
  if (NEIGHBOURS[c] !== 2) return 0;
  for (let i = 0; i < 8; i++) {
    const j = (i + 1) % 8;
    const k = (i + 2) % 8;
    if (bit(c, i) && bit(c, j)) return 1;
    // Two side neighbours around a corner (north and east, say) touch diagonally.
    if (i % 2 === 0 && bit(c, i) && bit(c, k)) return 1;
  }
  return 0;
});

/** For each ink pixel, the number of pixels to the nearest background pixel in its column (0 on background). */
function verticalDistances(ink: Ink): Int32Array {
  const pw = ink.paddedWidth;
  const g = new Int32Array(ink.pixels.length);
  const b = ink.pixels;
  // The rows just outside the ink's box are background, so both scans start from a known 0.
  for (let x = ink.x0; x <= ink.x1; x++) {
    for (let y = ink.y0; y <= ink.y1; y++) {
      const p = y * pw + x;
      g[p] = b[p] ? g[p - pw]! + 1 : 0;
    }
    for (let y = ink.y1; y >= ink.y0; y--) {
      const p = y * pw + x;
      const below = g[p + pw]! + 1;
      if (below < g[p]!) g[p] = below;
    }
  }
  return g;
}

/**
 * Exact Euclidean distance from pixel p to the nearest background pixel: the least
 * dx^2 + (vertical distance in column x + dx)^2 along p's row, searched outwards until dx
 * alone is farther than the best found (the separable idea of Felzenszwalb and Huttenlocher,
 * evaluated only where it is needed: the skeleton is a few hundred pixels).
 */
function distanceToBackground(columnDistance: Int32Array, p: number): number {
  const own = columnDistance[p]!;
  let best = own * own;
  for (let dx = 1; dx * dx < best; dx++) {
    const left = columnDistance[p - dx]!;
    const right = columnDistance[p + dx]!;
    const nearer = Math.min(left, right);
    const d = dx * dx + nearer * nearer;
    if (d < best) best = d;
  }
  return Math.sqrt(best);
}

/**
 * Intensity moments of the upscaled image above its darkest level (x = column, y = row, in
 * upscaled pixels): a grey background would otherwise weigh as much as the glyph. MNIST's
 * background is 0, where this is the paper's moments exactly.
 */
function moments(g: Upscaled): { cx: number; cy: number; u20: number; u11: number; u02: number } {
  let m00 = 0;
  let m10 = 0;
  let m01 = 0;
  let m20 = 0;
  let m11 = 0;
  let m02 = 0;
  const pw = g.paddedWidth;
  for (let Y = g.Y0; Y < g.Y1; Y++) {
    const row = (Y + 1) * pw + 1;
    let rowMass = 0;
    let rowX = 0;
    let rowXX = 0;
    for (let X = g.X0; X < g.X1; X++) {
      const v = g.values[row + X]! - g.lo;
      rowMass += v;
      rowX += v * X;
      rowXX += v * X * X;
    }
    m00 += rowMass;
    m10 += rowX;
    m01 += rowMass * Y;
    m20 += rowXX;
    m11 += rowX * Y;
    m02 += rowMass * Y * Y;
  }
  if (m00 <= 0) return { cx: 0, cy: 0, u20: 0, u11: 0, u02: 0 };
  const cx = m10 / m00;
  const cy = m01 / m00;
  return { cx, cy, u20: m20 / m00 - cx * cx, u11: m11 / m00 - cx * cy, u02: m02 / m00 - cy * cy };
}

/** Where the cumulative mass of unit-width bins reaches q, in bins from the first, interpolating inside a bin. */
function quantile(bins: Float64Array, total: number, q: number): number {
  const target = q * total;
  let below = 0;
  for (let k = 0; k < bins.length; k++) {
    const m = bins[k]!;
    if (m > 0 && below + m >= target) return k + (target - below) / m;
    below += m;
  }
  return bins.length;
}

/**
 * Width and height (upscaled pixels) of the parallelogram whose sides follow the slant:
 * horizontally in coordinates x - shear * (y - middle), each ink pixel spread over its unit
 * width; the central 1 - BOX_TRIM of the ink. `middle` is a row of the unpadded image.
 */
function boundingParallelogram(ink: Ink, shear: number, middle: number): { width: number; height: number } {
  const pw = ink.paddedWidth;
  const rows = ink.y1 - ink.y0 + 1;
  const rowMass = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const row = (ink.y0 + r) * pw;
    let m = 0;
    for (let x = ink.x0; x <= ink.x1; x++) m += ink.pixels[row + x]!;
    rowMass[r] = m;
  }
  const total = ink.area;
  const top = quantile(rowMass, total, BOX_TRIM / 2);
  const bottom = quantile(rowMass, total, 1 - BOX_TRIM / 2);

  // Corrected coordinates, relative to the box's left edge; a huge shear (a nearly flat glyph) gets coarser bins.
  const cols = ink.x1 - ink.x0 + 1;
  const shiftOf = (r: number): number => -shear * (ink.y0 + r - 1 - middle);
  let lo = Infinity;
  let hi = -Infinity;
  for (let r = 0; r < rows; r++) {
    if (rowMass[r] === 0) continue;
    lo = Math.min(lo, shiftOf(r));
    hi = Math.max(hi, shiftOf(r) + cols);
  }
  const binWidth = Math.max(1, (hi - lo) / 4096);
  const span = 1 / binWidth;
  const bins = new Float64Array(Math.ceil((hi - lo) / binWidth) + 2);
  for (let r = 0; r < rows; r++) {
    if (rowMass[r] === 0) continue;
    const row = (ink.y0 + r) * pw + ink.x0;
    const start = (shiftOf(r) - lo) / binWidth;
    for (let c = 0; c < cols; c++) {
      if (ink.pixels[row + c] === 0) continue;
      // A pixel covers [a, a + span) in bin units; span <= 1, so it touches at most two bins.
      const a = start + c * span;
      const k = Math.floor(a);
      if (a + span <= k + 1) bins[k] = bins[k]! + 1;
      else {
        const inFirst = (k + 1 - a) / span;
        bins[k] = bins[k]! + inFirst;
        bins[k + 1] = bins[k + 1]! + 1 - inFirst;
      }
    }
  }
  const left = quantile(bins, total, BOX_TRIM / 2);
  const right = quantile(bins, total, 1 - BOX_TRIM / 2);
  return { width: (right - left) * binWidth, height: bottom - top };
}
