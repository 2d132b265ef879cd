/**
 * An image folder as a dataset, so that anyone's own pictures (say, scanned handwriting)
 * can be trained on. PNG and JPEG files are read, turned to grey by luminance (transparent
 * pixels count as black, the background of MNIST-style data), resized to one size by area
 * averaging, rounded to 8 bits, and split into train and test sets by a seeded shuffle.
 *
 * Labels come from class folders: DIR/<class>/*.png. When every class folder is named by a
 * number (0, 1, ... 9) that number is the label, so a folder of digits keeps digit labels;
 * otherwise classes are numbered in sorted order. Without class folders every image has
 * label 0.
 */
import { readdirSync, statSync } from 'node:fs';
import { extname, join, resolve, basename } from 'node:path';
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import { UserError } from '../errors.js';
import { Random } from '../engine/random.js';
import { readRegularFile } from '../io/bounded-read.js';
import { namesAreDigits, type DataDescription, type DataSplits, type ImageDataset } from './dataset.js';
import { checkJpeg, checkPng, ImageDamage } from './image-header.js';
import { folderRecord } from './fingerprint.js';

export interface FolderOptions {
  /** Side of the square the images are resized to (default 28). */
  size?: number;
  /** Seed of the train/test split (default 1). */
  seed?: number;
  /** Share of the images held out for testing (default 0.1; at least one image). */
  testFraction?: number;
  /** Skip (and count) images that cannot be read, instead of refusing the folder. */
  skipBadImages?: boolean;
}

const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg']);
/** Larger pictures are refused rather than decoded into gigabytes. */
const MAX_MEGAPIXELS = 64;
/** No PNG or JPEG of at most MAX_MEGAPIXELS needs more bytes than this. */
const MAX_IMAGE_BYTES = 512 * 2 ** 20;

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch (err) {
    throw new UserError(`cannot read image folder ${dir}: ${(err as Error).message}`);
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function isImage(name: string): boolean {
  return IMAGE_EXTENSIONS.has(extname(name).toLowerCase());
}

/** Luminance in [0, 1] of an RGBA picture, alpha-composited over black. */
function toGray(rgba: Uint8Array, width: number, height: number): Float32Array {
  const out = new Float32Array(width * height);
  for (let i = 0; i < out.length; i++) {
    const r = rgba[4 * i]!;
    const g = rgba[4 * i + 1]!;
    const b = rgba[4 * i + 2]!;
    const a = rgba[4 * i + 3]! / 255;
    out[i] = ((0.299 * r + 0.587 * g + 0.114 * b) / 255) * a;
  }
  return out;
}

/** A message for a decoder's failure; some fail on damage with their own internals' TypeErrors. */
function decoderMessage(err: unknown): string {
  if (err instanceof TypeError || !(err instanceof Error)) return 'the image data is damaged';
  return err.message;
}

export function decodeImage(path: string): { gray: Float32Array; width: number; height: number } {
  const bytes = readRegularFile(path, 'image', MAX_IMAGE_BYTES);
  const png = extname(path).toLowerCase() === '.png';
  let size;
  try {
    size = png ? checkPng(bytes, MAX_MEGAPIXELS * 1e6) : checkJpeg(bytes, MAX_MEGAPIXELS * 1e6);
  } catch (err) {
    if (err instanceof ImageDamage) throw new UserError(`cannot decode image ${path}: ${err.message}`);
    throw err;
  }
  let decoded: { data: Uint8Array; width: number; height: number };
  try {
    decoded = png
      ? PNG.sync.read(bytes)
      : jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_MEGAPIXELS, maxMemoryUsageInMB: 1024 });
  } catch (err) {
    throw new UserError(`cannot decode image ${path}: ${decoderMessage(err)}`);
  }
  if (decoded.width !== size.width || decoded.height !== size.height || decoded.data.length !== 4 * size.width * size.height) {
    throw new UserError(`cannot decode image ${path}: decoded ${decoded.width}x${decoded.height}, its header says ${size.width}x${size.height}`);
  }
  return { gray: toGray(decoded.data, decoded.width, decoded.height), width: decoded.width, height: decoded.height };
}

/**
 * Resamples a grey picture to outW x outH by area averaging: each output pixel is the mean
 * of the input over its footprint, partial input pixels weighted by their overlap. It
 * neither aliases when shrinking nor invents detail when enlarging.
 */
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

/** Class names are the sub-folder names; the items are digits only when those are exactly 0..9. */
function folderDescription(classNames: string[]): DataDescription {
  return { classNames, noun: namesAreDigits(classNames) ? 'digit' : 'image' };
}

export function loadImageFolder(dir: string, options: FolderOptions = {}): DataSplits {
  const size = options.size ?? 28;
  const fraction = options.testFraction ?? 0.1;
  if (!Number.isInteger(size) || size < 1 || size > 1024) throw new RangeError(`image size must be an integer in [1, 1024], got ${size}`);
  if (!(fraction > 0 && fraction < 1)) throw new RangeError(`test fraction must be in (0, 1), got ${fraction}`);
  if (!isDirectory(dir)) throw new UserError(`image folder not found: ${dir}`);

  const entries = listDir(dir);
  const classDirs = entries.filter((e) => !e.startsWith('.') && isDirectory(join(dir, e)));
  const topImages = entries.filter((e) => isImage(e) && !isDirectory(join(dir, e)));
  if (classDirs.length > 0 && topImages.length > 0) {
    throw new UserError(`image folder ${dir} has both images and class folders; put every image in a class folder, or use no class folders`);
  }
  const files: { path: string; label: number }[] = [];
  let classNames: string[] = [];
  if (classDirs.length === 0) {
    for (const f of topImages) files.push({ path: join(dir, f), label: 0 });
  } else {
    const numeric = classDirs.every((c) => /^\d+$/.test(c) && Number(c) <= 255);
    const ordered = numeric ? [...classDirs].sort((a, b) => Number(a) - Number(b)) : classDirs;
    if (!numeric && ordered.length > 256) throw new UserError(`image folder ${dir} has ${ordered.length} class folders; at most 256 are supported`);
    classNames = numeric ? Array.from({ length: Number(ordered[ordered.length - 1]) + 1 }, (_, i) => String(i)) : ordered;
    ordered.forEach((c, i) => {
      const label = numeric ? Number(c) : i;
      for (const f of listDir(join(dir, c)).filter(isImage)) files.push({ path: join(dir, c, f), label });
    });
  }
  if (files.length < 2) {
    throw new UserError(`image folder ${dir} has ${files.length} PNG/JPEG image${files.length === 1 ? '' : 's'}; at least 2 are needed (one to train on, one to test)`);
  }

  const pixels = size * size;
  const skipped: { path: string; reason: string }[] = [];
  const decoded: { path: string; label: number; image: Float32Array }[] = [];
  for (const { path, label } of files) {
    let image;
    try {
      image = decodeImage(path);
    } catch (err) {
      if (!(err instanceof UserError) || options.skipBadImages !== true) throw err;
      skipped.push({ path, reason: err.message });
      continue;
    }
    const { gray, width, height } = image;
    decoded.push({ path, label, image: width === size && height === size ? gray : resizeArea(gray, width, height, size, size) });
  }
  if (decoded.length < 2) {
    throw new UserError(`image folder ${dir} has ${decoded.length} readable image${decoded.length === 1 ? '' : 's'} (${skipped.length} skipped); at least 2 are needed`);
  }
  const images = new Uint8Array(decoded.length * pixels);
  const labels = new Uint8Array(decoded.length);
  decoded.forEach(({ image, label }, i) => {
    // Rounded to 8 bits like every other source, so that dequantization sees grey levels.
    for (let j = 0; j < pixels; j++) images[i * pixels + j] = Math.round(Math.min(1, Math.max(0, image[j]!)) * 255);
    labels[i] = label;
  });
  const description = folderDescription(classNames);

  const order = new Random(options.seed ?? 1).permutation(decoded.length);
  const testCount = Math.min(decoded.length - 1, Math.max(1, Math.round(decoded.length * fraction)));
  const name = basename(resolve(dir));
  const pick = (idx: Uint32Array): ImageDataset => {
    const im = new Uint8Array(idx.length * pixels);
    const lab = new Uint8Array(idx.length);
    idx.forEach((src, i) => {
      im.set(images.subarray(src * pixels, (src + 1) * pixels), i * pixels);
      lab[i] = labels[src]!;
    });
    return { name, pixels: im, labels: lab, count: idx.length, channels: 1, height: size, width: size, description };
  };
  const testIndex = order.subarray(0, testCount);
  const record = folderRecord(
    dir,
    decoded.map((d) => ({ path: d.path, label: d.label })),
    Array.from(testIndex, (i) => decoded[i]!.path),
    skipped.length,
  );
  return { name, test: pick(testIndex), train: pick(order.subarray(testCount)), record, skipped };
}
