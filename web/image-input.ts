/**
 * "Drop or pick an image": a picture file read in the page and brought to the model's form
 * the way the CLI's folder loader (src/data/folder.ts, --fit crop) brings a folder's images:
 * the centre of the picture cut to the model's aspect ratio, resampled by area averaging
 * (each output pixel the mean of its footprint, partial pixels weighted by overlap), put over
 * its background, rounded to 8 bits, and laid out CHW. The loader reads files with Node's
 * decoders, so it cannot be bundled here; its arithmetic is repeated, and a browser test
 * checks that the page gives the bytes the loader gives.
 */

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

/** The part of a picture mapped onto the model's image, in picture pixels (fractional: the exact centre). */
export interface Region {
  x0: number;
  y0: number;
  width: number;
  height: number;
}

/** The centre of a width x height picture with the aspect ratio outWidth : outHeight: the short side whole, the long one cut. */
export function centreCrop(width: number, height: number, outWidth: number, outHeight: number): Region {
  if (width * outHeight === height * outWidth) return { x0: 0, y0: 0, width, height };
  if (width * outHeight > height * outWidth) {
    const w = (height * outWidth) / outHeight;
    return { x0: (width - w) / 2, y0: 0, width: w, height };
  }
  const h = (width * outHeight) / outWidth;
  return { x0: 0, y0: (height - h) / 2, width, height: h };
}

/**
 * Area resampling of the `region` of a w x h plane to outW x outH: each output pixel the
 * mean of the input over its footprint, partial pixels weighted by their overlap.
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

/** The whole w x h plane resampled to outW x outH. */
export function resizeArea(src: Float32Array, w: number, h: number, outW: number, outH: number): Float32Array {
  return resampleRegion(src, w, h, { x0: 0, y0: 0, width: w, height: h }, outW, outH);
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
  const crop = centreCrop(width, height, outWidth, outHeight);
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
