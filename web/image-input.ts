/**
 * "Drop or pick an image": a picture file read in the page and brought to the model's form
 * the way the CLI's folder loader (src/data/folder.ts, --fit crop) brings a folder's images:
 * the centre of the picture cut to the model's aspect ratio, resampled by area averaging
 * (each output pixel the mean of its footprint, partial pixels weighted by overlap), put over
 * its background, rounded to 8 bits, and laid out CHW. The loader reads files with Node's
 * decoders, so it cannot be bundled here; the fitting arithmetic is shared with it
 * (src/data/image-fit.ts), and a browser test checks that the page gives the bytes the
 * loader gives.
 */

import { fitRegion, resampleRegion, type Region } from '../src/data/image-fit.js';

export { resizeArea, type Region } from '../src/data/image-fit.js';

export interface ModelImage {
  /** channels x height x width values in [0, 1] (multiples of 1/255), CHW. */
  pixels: Float32Array;
  /** The crop taken from the picture, in its pixels. */
  crop: Region;
  /** The picture's own size. */
  source: { width: number; height: number };
}

/** Reads a picture file (anything the browser decodes: PNG, JPEG, WebP, GIF...) as RGBA bytes. */
export async function readPicture(file: Blob): Promise<{ rgba: Uint8ClampedArray; width: number; height: number }> {
  const bitmap = await createImageBitmap(file, { premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
  try {
    const canvas = document.createElement('canvas');
    canvas.width = bitmap.width;
    canvas.height = bitmap.height;
    const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
    ctx.drawImage(bitmap, 0, 0);
    return { rgba: ctx.getImageData(0, 0, bitmap.width, bitmap.height).data, width: bitmap.width, height: bitmap.height };
  } finally {
    bitmap.close();
  }
}

/** Channels further apart than this (of 255) make a colour picture; a grey one saved through a colour pipeline is not. */
const GREY_TOLERANCE = 2;

function isColour(rgba: ArrayLike<number>): boolean {
  for (let i = 0; i < rgba.length; i += 4) {
    if (rgba[i + 3] === 0) continue;
    const [r, g, b] = [rgba[i]!, rgba[i + 1]!, rgba[i + 2]!];
    if (Math.abs(r - g) > GREY_TOLERANCE || Math.abs(g - b) > GREY_TOLERANCE || Math.abs(r - b) > GREY_TOLERANCE) return true;
  }
  return false;
}

/**
 * RGBA bytes of a picture to the model's input: the centre crop resampled, over its
 * background, rounded to bytes. Colour models: R, G, B over white. Grey models: luminance,
 * transparency over black (over white for a colour picture made grey), as the loader does.
 */
export function toModelImage(rgba: ArrayLike<number>, width: number, height: number, channels: number, outWidth: number, outHeight: number): ModelImage {
  const crop = fitRegion(width, height, { height: outHeight, width: outWidth }, 'crop');
  const n = outWidth * outHeight;
  const resample = (plane: Float32Array): Float32Array => resampleRegion(plane, width, height, crop, outWidth, outHeight);
  const alpha = new Float32Array(width * height);
  for (let i = 0; i < alpha.length; i++) alpha[i] = rgba[4 * i + 3]! / 255;
  // An opaque picture has nothing to put over a background (and the loader adds nothing then).
  const alphaOut = alpha.every((a) => a === 1) ? null : resample(alpha);
  const colour = isColour(rgba);
  const background = channels === 3 || colour ? 1 : 0;
  const planes: Float32Array[] = [];
  if (channels === 3) {
    for (let c = 0; c < 3; c++) {
      const premultiplied = new Float32Array(width * height);
      for (let i = 0; i < premultiplied.length; i++) premultiplied[i] = (rgba[4 * i + c]! / 255) * alpha[i]!;
      planes.push(resample(premultiplied));
    }
  } else {
    const grey = new Float32Array(width * height);
    for (let i = 0; i < grey.length; i++) grey[i] = ((0.299 * rgba[4 * i]! + 0.587 * rgba[4 * i + 1]! + 0.114 * rgba[4 * i + 2]!) / 255) * alpha[i]!;
    planes.push(resample(grey));
  }
  const pixels = new Float32Array(planes.length * n);
  planes.forEach((plane, c) => {
    for (let j = 0; j < n; j++) {
      const v = alphaOut === null ? plane[j]! : plane[j]! + background * (1 - alphaOut[j]!);
      pixels[c * n + j] = Math.round(Math.min(1, Math.max(0, v)) * 255) / 255;
    }
  });
  return { pixels, crop, source: { width, height } };
}
