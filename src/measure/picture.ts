/**
 * Measures of any image, grey or colour, for data that are not glyphs: how bright it is, its
 * colour, and where and how large and how turned its object is.
 *
 * - brightness: mean luma (Rec. 709 weights 0.2126 R + 0.7152 G + 0.0722 B of the values as
 *   stored, so gamma-encoded), in [0, 1]; a grey image's mean value;
 * - hue_deg: the circular mean of the HSV hue over the saturated pixels (HSV saturation at
 *   least 0.25 and value at least 0.1), in degrees [0, 360): 0 red, 120 green, 240 blue; 0
 *   when no pixel is saturated (a grey image);
 * - saturation: the mean HSV saturation over all pixels, in [0, 1];
 * - object_size: the share of pixels that are not background, in [0, 1]. The background is
 *   the dominant colour of the image's border (the most common colour of its edge pixels,
 *   each channel in 8 levels). A pixel belongs to the object when it differs from the
 *   background (largest channel difference) by at least half the most any pixel differs, as
 *   glyphs are binarized at half their range, so an anti-aliased edge counts half its pixels;
 *   and by at least 0.1, so that noise on a plain image is not an object;
 * - centroid_x, centroid_y: the mean column and row of the object's pixels, in pixels from
 *   the centre of the top-left pixel (x right, y down); the image's centre when there is no
 *   object;
 * - orientation_deg: the angle of the object's principal axis (from the second-order central
 *   moments of its pixels), in degrees in (-90, 90], counter-clockwise from the horizontal as
 *   seen on screen: 0 lying flat, 90 upright, 45 rising to the right; 0 for no object or one
 *   with no preferred direction (a disc).
 */

export const PICTURE_MEASURES = ['brightness', 'hue_deg', 'saturation', 'object_size', 'centroid_x', 'centroid_y', 'orientation_deg'] as const;
export type PictureMeasure = (typeof PICTURE_MEASURES)[number];

const SATURATED = 0.25;
const LIT = 0.1;
const MIN_DIFFERENCE = 0.1;
const LEVELS = 8;

/** Measures of one image: channels x height x width values in [0, 1], channel planes one after another (CHW). */
export function measurePicture(image: Float32Array, channels: number, height: number, width: number): Record<PictureMeasure, number> {
  if (!Number.isInteger(height) || !Number.isInteger(width) || height < 1 || width < 1) {
    throw new RangeError(`measurePicture: image size must be positive integers, got ${height}x${width}`);
  }
  if (channels !== 1 && channels !== 3) throw new RangeError(`measurePicture: channels must be 1 or 3, got ${channels}`);
  const plane = height * width;
  if (image.length !== channels * plane) {
    throw new RangeError(`measurePicture: expected ${channels * plane} values for ${channels}x${height}x${width}, got ${image.length}`);
  }
  const r = image.subarray(0, plane);
  const g = channels === 3 ? image.subarray(plane, 2 * plane) : r;
  const b = channels === 3 ? image.subarray(2 * plane, 3 * plane) : r;

  let luma = 0;
  let saturationSum = 0;
  let hueX = 0;
  let hueY = 0;
  let saturatedCount = 0;
  for (let p = 0; p < plane; p++) {
    const R = r[p]!;
    const G = g[p]!;
    const B = b[p]!;
    luma += 0.2126 * R + 0.7152 * G + 0.0722 * B;
    const max = Math.max(R, G, B);
    const min = Math.min(R, G, B);
    const chroma = max - min;
    const sat = max > 0 ? chroma / max : 0;
    saturationSum += sat;
    if (sat >= SATURATED && max >= LIT) {
      const hue = hueRadians(R, G, B, max, chroma);
      hueX += Math.cos(hue);
      hueY += Math.sin(hue);
      saturatedCount++;
    }
  }
  let hueDeg = 0;
  if (saturatedCount > 0 && Math.hypot(hueX, hueY) > 1e-9 * saturatedCount) {
    hueDeg = (Math.atan2(hueY, hueX) * 180) / Math.PI;
    if (hueDeg < 0) hueDeg += 360;
    if (hueDeg >= 360) hueDeg -= 360;
  }

  const background = borderColour([r, g, b], height, width);
  const difference = new Float32Array(plane);
  let most = 0;
  for (let p = 0; p < plane; p++) {
    const d = Math.max(Math.abs(r[p]! - background[0]), Math.abs(g[p]! - background[1]), Math.abs(b[p]! - background[2]));
    difference[p] = d;
    if (d > most) most = d;
  }
  const threshold = Math.max(MIN_DIFFERENCE, most / 2);
  let count = 0;
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      if (difference[p]! < threshold) continue;
      count++;
      sx += x;
      sy += y;
      sxx += x * x;
      sxy += x * y;
      syy += y * y;
    }
  }
  let cx = (width - 1) / 2;
  let cy = (height - 1) / 2;
  let orientation = 0;
  if (count > 0) {
    cx = sx / count;
    cy = sy / count;
    const u20 = sxx / count - cx * cx;
    const u11 = sxy / count - cx * cy;
    const u02 = syy / count - cy * cy;
    // With y down, atan2 gives the axis clockwise on screen; negated, it reads counter-clockwise.
    if (Math.abs(u11) > 1e-12 || Math.abs(u20 - u02) > 1e-12) {
      orientation = (-0.5 * Math.atan2(2 * u11, u20 - u02) * 180) / Math.PI;
      if (orientation <= -90) orientation += 180;
    }
  }
  return {
    brightness: luma / plane,
    hue_deg: hueDeg,
    saturation: saturationSum / plane,
    object_size: count / plane,
    centroid_x: cx,
    centroid_y: cy,
    orientation_deg: orientation,
  };
}

/** HSV hue in radians [0, 2 pi); chroma > 0. */
function hueRadians(R: number, G: number, B: number, max: number, chroma: number): number {
  let sector: number;
  if (max === R) sector = ((G - B) / chroma + 6) % 6;
  else if (max === G) sector = (B - R) / chroma + 2;
  else sector = (R - G) / chroma + 4;
  return (sector * Math.PI) / 3;
}

/** The dominant colour of the border pixels: the mean of those in the most common bin of LEVELS per channel. */
function borderColour(planes: Float32Array[], height: number, width: number): [number, number, number] {
  const [r, g, b] = planes as [Float32Array, Float32Array, Float32Array];
  const bins = new Map<number, { n: number; r: number; g: number; b: number }>();
  const level = (v: number): number => Math.min(LEVELS - 1, Math.max(0, Math.floor(v * LEVELS)));
  const add = (p: number): void => {
    const key = (level(r[p]!) * LEVELS + level(g[p]!)) * LEVELS + level(b[p]!);
    const bin = bins.get(key) ?? { n: 0, r: 0, g: 0, b: 0 };
    bin.n++;
    bin.r += r[p]!;
    bin.g += g[p]!;
    bin.b += b[p]!;
    bins.set(key, bin);
  };
  for (let x = 0; x < width; x++) {
    add(x);
    if (height > 1) add((height - 1) * width + x);
  }
  for (let y = 1; y < height - 1; y++) {
    add(y * width);
    if (width > 1) add(y * width + width - 1);
  }
  let best = { n: 0, r: 0, g: 0, b: 0 };
  for (const bin of bins.values()) if (bin.n > best.n) best = bin;
  return [best.r / best.n, best.g / best.n, best.b / best.n];
}
