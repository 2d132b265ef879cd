/**
 * "Drop or pick an image": a picture file read in the page and brought to the model's form
 * the way the CLI's folder loader brings a folder's images: the centre of the picture cut to
 * the model's aspect ratio, resized by area averaging (each output pixel the mean of its
 * footprint, partial pixels weighted by overlap), rounded to 8 bits, and laid out CHW. Grey
 * models see luminance with transparency over black, as the folder loader reads grey data;
 * colour models see R, G, B with transparency over white, as the colour datasets are made.
 */

export interface ModelImage {
  /** channels x height x width values in [0, 1] (multiples of 1/255), CHW. */
  pixels: Float32Array;
  /** The crop taken from the picture, in its pixels. */
  crop: { left: number; top: number; width: number; height: number };
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

/** The centre of a width x height picture with the aspect ratio outWidth : outHeight, in whole pixels. */
export function centreCrop(width: number, height: number, outWidth: number, outHeight: number): ModelImage['crop'] {
  if (width * outHeight > height * outWidth) {
    const w = Math.max(1, Math.min(width, Math.round((height * outWidth) / outHeight)));
    return { left: Math.floor((width - w) / 2), top: 0, width: w, height };
  }
  const h = Math.max(1, Math.min(height, Math.round((width * outHeight) / outWidth)));
  return { left: 0, top: Math.floor((height - h) / 2), width, height: h };
}

/** Area resampling of one plane (w x h) to outW x outH. */
export function resizeArea(src: Float32Array, w: number, h: number, outW: number, outH: number): Float32Array {
  const out = new Float32Array(outW * outH);
  const sx = w / outW;
  const sy = h / outH;
  for (let oy = 0; oy < outH; oy++) {
    const y0 = oy * sy;
    const y1 = y0 + sy;
    for (let ox = 0; ox < outW; ox++) {
      const x0 = ox * sx;
      const x1 = x0 + sx;
      let acc = 0;
      for (let iy = Math.floor(y0); iy < Math.min(h, Math.ceil(y1)); iy++) {
        const wy = Math.min(y1, iy + 1) - Math.max(y0, iy);
        for (let ix = Math.floor(x0); ix < Math.min(w, Math.ceil(x1)); ix++) {
          const wx = Math.min(x1, ix + 1) - Math.max(x0, ix);
          acc += src[iy * w + ix]! * wx * wy;
        }
      }
      out[oy * outW + ox] = acc / (sx * sy);
    }
  }
  return out;
}

/** RGBA bytes of a picture to the model's input: crop, planes, area resize, 8-bit rounding. */
export function toModelImage(rgba: ArrayLike<number>, width: number, height: number, channels: number, outWidth: number, outHeight: number): ModelImage {
  const crop = centreCrop(width, height, outWidth, outHeight);
  const planes = channels === 3 ? 3 : 1;
  const pixels = new Float32Array(planes * outWidth * outHeight);
  for (let c = 0; c < planes; c++) {
    const plane = new Float32Array(crop.width * crop.height);
    for (let y = 0; y < crop.height; y++) {
      for (let x = 0; x < crop.width; x++) {
        const at = 4 * ((crop.top + y) * width + crop.left + x);
        const a = rgba[at + 3]! / 255;
        const [r, g, b] = [rgba[at]!, rgba[at + 1]!, rgba[at + 2]!];
        plane[y * crop.width + x] =
          planes === 1 ? ((0.299 * r + 0.587 * g + 0.114 * b) / 255) * a : ((c === 0 ? r : c === 1 ? g : b) / 255) * a + (1 - a);
      }
    }
    const resized = crop.width === outWidth && crop.height === outHeight ? plane : resizeArea(plane, crop.width, crop.height, outWidth, outHeight);
    for (let i = 0; i < resized.length; i++) pixels[c * outWidth * outHeight + i] = Math.round(Math.max(0, Math.min(1, resized[i]!)) * 255) / 255;
  }
  return { pixels, crop, source: { width, height } };
}
