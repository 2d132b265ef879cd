/**
 * An image folder as a dataset, so that anyone's own pictures can be trained on. PNG, JPEG
 * and WebP files are read; the colour is kept when the pictures have colour (any pixel whose
 * channels differ), else they are grey; `channels` forces one or the other. Each picture is
 * brought to one size without distorting it (by default the largest centred part of the
 * target's shape is cut out, then resized by area averaging), rounded to 8 bits, and the
 * set is split into train and test sets by a seeded shuffle.
 *
 * Transparent pixels are laid over a background: black for grey pictures, the background
 * of MNIST-style glyphs (ink on black), and white for colour pictures, the page that icons
 * and photos with cut-outs are made to be seen on.
 *
 * Labels come from class folders: DIR/<class>/*.png, and the class names are the folder
 * names. When every class folder is named by a number (0, 1, ... 9) that number is the
 * label, so a folder of digits keeps digit labels; otherwise classes are numbered in sorted
 * order. Without class folders every image has label 0 and there are no class names.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { extname, join, resolve, basename } from 'node:path';
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import { UserError } from '../errors.js';
import { Random } from '../engine/random.js';
import { readRegularFile } from '../io/bounded-read.js';
import { namesAreDigits, type DataDescription, type DataSplits, type DatasetRecord, type ImageDataset } from './dataset.js';
import { checkJpeg, checkPng, checkWebp, ImageDamage } from './image-header.js';
import { folderRecord, relativePath } from './fingerprint.js';
import { IMAGE_FITS, fitRegion, resampleRegion, type ImageFit } from './image-fit.js';

export { resizeArea } from './image-fit.js';

export { IMAGE_FITS, type ImageFit };

export interface ImageShape {
  height: number;
  width: number;
}

export interface FolderOptions {
  /**
   * Size the images are brought to: a side (square), or a height and a width. Absent: the
   * pictures' own size when they all share one within OWN_SIZE_LIMITS, else 28 x 28.
   */
  size?: number | ImageShape;
  /** 1 (grey) or 3 (RGB); absent: 3 when any picture has colour, else 1. */
  channels?: 1 | 3;
  /** crop (default): the centred part of the target's shape; pad: the whole picture, framed by the background; stretch: the whole picture, distorted. */
  fit?: ImageFit;
  /** Colour under transparent pixels; absent: white when the pictures have colour, else black. */
  background?: 'black' | 'white';
  /** Seed of the train/test split (default 1). */
  seed?: number;
  /** Share of the images held out for testing (default 0.1; at least one image). */
  testFraction?: number;
  /**
   * Without testFraction: hold out at least this many images when 10% is fewer, up to a
   * quarter of the folder (SMALL_FOLDER_TEST_SHARE). New runs ask for it; absent, 10% it is.
   */
  minTestImages?: number;
  /** Skip (and count) images that cannot be read, instead of refusing the folder. */
  skipBadImages?: boolean;
}

export const DEFAULT_TEST_FRACTION = 0.1;
/** The largest share a small folder's default test set takes to reach minTestImages. */
export const SMALL_FOLDER_TEST_SHARE = 0.25;

/** The test share of a folder of `count` images when none is given (see FolderOptions.minTestImages). */
export function defaultTestFraction(count: number, minTestImages?: number): number {
  if (minTestImages === undefined || Math.round(count * DEFAULT_TEST_FRACTION) >= minTestImages) return DEFAULT_TEST_FRACTION;
  return Math.min(SMALL_FOLDER_TEST_SHARE, minTestImages / count);
}

/** The size of a folder's images when no size is given and they do not share one (MNIST's). */
export const DEFAULT_FOLDER_SIDE = 28;
/**
 * A folder whose pictures all share one size is trained at that size when no size is given:
 * a collection made for the toolkit (`vae collect` writes 32 x 128) is already the size it
 * should be, and cutting it to 28 x 28 would throw away most of a word. Within bounds only:
 * sides as --image-size takes them, and at most 16,384 pixels (128 x 128, a 32 x 128 word
 * twice over), beyond which the dense first layer of the default model grows to millions of
 * weights for detail a small collection cannot teach; larger pictures get the 28 x 28 default.
 */
export const OWN_SIZE_LIMITS = { minSide: 4, maxSide: 512, maxPixels: 128 * 128 } as const;

const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.webp']);
/** Larger pictures are refused rather than decoded into gigabytes. */
const MAX_MEGAPIXELS = 64;
/** No PNG, JPEG or WebP of at most MAX_MEGAPIXELS needs more bytes than this. */
const MAX_IMAGE_BYTES = 512 * 2 ** 20;
/**
 * Channels that differ by at most this many levels still count as grey: a grey picture
 * saved through a colour pipeline (a JPEG's chroma, a colour profile) comes back with its
 * channels a level or two apart, and is not a colour picture for that.
 */
const GREY_TOLERANCE = 2;

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

type WebpDecoder = { decode(bytes: Uint8Array): { data: Uint8ClampedArray; width: number; height: number } };
let webpDecoder: WebpDecoder | undefined;

/** libwebp compiled to WebAssembly, shipped inside its npm package: loaded the first time a WebP is read. */
function webp(): WebpDecoder {
  webpDecoder ??= createRequire(import.meta.url)('@cwasm/webp') as WebpDecoder;
  return webpDecoder;
}

/** A picture as 8-bit RGBA, width * height * 4 bytes, rows top to bottom. Any problem is a UserError naming the file. */
export function decodePicture(path: string): { rgba: Uint8Array; width: number; height: number } {
  const bytes = readRegularFile(path, 'image', MAX_IMAGE_BYTES);
  const kind = extname(path).toLowerCase();
  const check = kind === '.png' ? checkPng : kind === '.webp' ? checkWebp : checkJpeg;
  let size;
  try {
    size = check(bytes, MAX_MEGAPIXELS * 1e6);
  } catch (err) {
    if (err instanceof ImageDamage) throw new UserError(`cannot decode image ${path}: ${err.message}`);
    throw err;
  }
  let decoded: { data: Uint8Array | Uint8ClampedArray; width: number; height: number };
  try {
    if (kind === '.png') decoded = PNG.sync.read(bytes);
    else if (kind === '.webp') decoded = webp().decode(bytes);
    else decoded = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_MEGAPIXELS, maxMemoryUsageInMB: 1024 });
  } catch (err) {
    // libwebp says only that it failed; the header was checked, so its data are what failed.
    throw new UserError(`cannot decode image ${path}: ${kind === '.webp' ? 'its image data is damaged' : decoderMessage(err)}`);
  }
  if (decoded.width !== size.width || decoded.height !== size.height || decoded.data.length !== 4 * size.width * size.height) {
    throw new UserError(`cannot decode image ${path}: decoded ${decoded.width}x${decoded.height}, its header says ${size.width}x${size.height}`);
  }
  const rgba = decoded.data instanceof Uint8Array ? decoded.data : new Uint8Array(decoded.data.buffer, decoded.data.byteOffset, decoded.data.byteLength);
  return { rgba, width: decoded.width, height: decoded.height };
}

/** A picture as grey levels in [0, 1] (luminance, transparent pixels black). */
export function decodeImage(path: string): { gray: Float32Array; width: number; height: number } {
  const { rgba, width, height } = decodePicture(path);
  return { gray: toGray(rgba, width, height), width, height };
}

function isColour(rgba: Uint8Array): boolean {
  for (let i = 0; i < rgba.length; i += 4) {
    if (rgba[i + 3] === 0) continue;
    const r = rgba[i]!;
    const g = rgba[i + 1]!;
    const b = rgba[i + 2]!;
    if (Math.abs(r - g) > GREY_TOLERANCE || Math.abs(g - b) > GREY_TOLERANCE || Math.abs(r - b) > GREY_TOLERANCE) return true;
  }
  return false;
}

function hasTransparency(rgba: Uint8Array): boolean {
  for (let i = 3; i < rgba.length; i += 4) if (rgba[i] !== 255) return true;
  return false;
}

/** Values in [0, 1] as bytes, rounded like every other source so that dequantization sees 256 levels. */
function toBytes(plane: Float32Array, out: Uint8Array, offset: number): void {
  for (let j = 0; j < plane.length; j++) out[offset + j] = Math.round(Math.min(1, Math.max(0, plane[j]!)) * 255);
}

/**
 * One picture at the target size, in the forms the dataset may need: a grey picture over
 * black and over white (which one is known only when every picture has been seen: any colour
 * picture makes the background white), a colour one over its background.
 */
interface Prepared {
  colour: boolean;
  /** Grey pictures, and colour ones made grey: over black and over white (the same array when opaque). */
  grey?: { black: Uint8Array; white: Uint8Array };
  /** Colour pictures kept in colour: CHW over the colour background. */
  rgb?: Uint8Array;
  transparent: boolean;
}

const compositeTables: (Uint8Array | undefined)[] = [];

/**
 * The byte of a channel value c with alpha a laid over a background of 0 or 1, indexed by
 * a * 256 + c: the same float32 steps as the planes of `prepare`, so both give the same bytes.
 */
function compositeTable(background: number): Uint8Array {
  let table = compositeTables[background];
  if (table === undefined) {
    table = new Uint8Array(65536);
    for (let a = 0; a < 256; a++) {
      const alpha = Math.fround(a / 255);
      for (let c = 0; c < 256; c++) {
        const premultiplied = Math.fround((c / 255) * (a / 255));
        const v = Math.fround(premultiplied + background * (1 - alpha));
        table[(a << 8) | c] = Math.round(Math.min(1, Math.max(0, v)) * 255);
      }
    }
    compositeTables[background] = table;
  }
  return table;
}

function prepare(rgba: Uint8Array, w: number, h: number, target: ImageShape, opts: { fit: ImageFit; channels?: 1 | 3; background?: 'black' | 'white' }): Prepared {
  const colour = isColour(rgba);
  const transparent = hasTransparency(rgba);
  const region = fitRegion(w, h, target, opts.fit);
  const size = w === target.width && h === target.height && region.width === w && region.height === h;
  const resample = (plane: Float32Array): Float32Array => (size ? plane : resampleRegion(plane, w, h, region, target.width, target.height));
  const n = target.width * target.height;
  // Padding is transparent: it takes the background like any transparent pixel.
  const covered = transparent || region.x0 < 0 || region.y0 < 0;
  const alpha = covered ? new Float32Array(w * h) : null;
  if (alpha !== null) for (let i = 0; i < alpha.length; i++) alpha[i] = rgba[4 * i + 3]! / 255;
  const alphaOut = alpha === null ? null : resample(alpha);
  const over = (premultiplied: Float32Array, background: number): Uint8Array => {
    const out = new Uint8Array(n);
    if (alphaOut === null || background === 0) toBytes(premultiplied, out, 0);
    else {
      const plane = new Float32Array(n);
      for (let j = 0; j < n; j++) plane[j] = premultiplied[j]! + background * (1 - alphaOut[j]!);
      toBytes(plane, out, 0);
    }
    return out;
  };
  const colourBackground = (opts.background ?? 'white') === 'white' ? 1 : 0;
  if (colour && opts.channels !== 1) {
    const rgb = new Uint8Array(3 * n);
    if (size) {
      // Nothing to resample: each byte follows from its value and alpha alone.
      const lut = compositeTable(colourBackground);
      for (let c = 0; c < 3; c++) for (let i = 0; i < n; i++) rgb[c * n + i] = lut[(rgba[4 * i + 3]! << 8) | rgba[4 * i + c]!]!;
      return { colour, rgb, transparent };
    }
    for (let c = 0; c < 3; c++) {
      const plane = new Float32Array(w * h);
      for (let i = 0; i < plane.length; i++) plane[i] = (rgba[4 * i + c]! / 255) * (rgba[4 * i + 3]! / 255);
      rgb.set(over(resample(plane), colourBackground), c * n);
    }
    return { colour, rgb, transparent };
  }
  const grey = resample(toGray(rgba, w, h));
  if (colour) {
    // Made grey on demand: over the background it would have had in colour.
    const one = over(grey, colourBackground);
    return { colour, grey: { black: one, white: one }, transparent };
  }
  const black = over(grey, 0);
  return { colour, grey: { black, white: alphaOut === null ? black : over(grey, 1) }, transparent };
}

/** Side x side, or height x width: how `size` is written and read. */
export function shapeOf(size: number | ImageShape | undefined): ImageShape {
  if (size === undefined) return { height: DEFAULT_FOLDER_SIDE, width: DEFAULT_FOLDER_SIDE };
  return typeof size === 'number' ? { height: size, width: size } : size;
}

function describeShape(s: ImageShape): string {
  return s.height === s.width ? 'square' : `${s.height}x${s.width}`;
}

function listSizes(sizes: Map<string, number>): string {
  const all = [...sizes.entries()].sort((a, b) => b[1] - a[1]).map(([k]) => k);
  if (all.length <= 2) return all.join(' and ');
  return `${all.slice(0, 2).join(', ')} and ${all.length - 2} other size${all.length === 3 ? '' : 's'}`;
}

export interface LoadedPictures {
  /** count x channels x height x width bytes, in the order of `used`. */
  pixels: Uint8Array;
  labels: Uint8Array;
  used: { path: string; label: number }[];
  skipped: { path: string; reason: string }[];
  channels: number;
  /** The size every picture was brought to. */
  shape: ImageShape;
  /** How the pictures were made into the dataset, in words for the run header; '' when nothing was changed. */
  preparation: string;
}

function ownSizeFits(s: ImageShape): boolean {
  const { minSide, maxSide, maxPixels } = OWN_SIZE_LIMITS;
  return [s.height, s.width].every((side) => side >= minSide && side <= maxSide) && s.height * s.width <= maxPixels;
}

/**
 * Decodes and prepares pictures: each brought to `target` as `fit` says, in the channels
 * asked for or that the pictures need. Unreadable pictures are an error naming the file,
 * or skipped and listed with `skipBadImages`. Target 'own': the pictures' own size when
 * they all share one within OWN_SIZE_LIMITS, else the 28 x 28 default; the pictures are read
 * once when they share a size, and those before the first that differs are read again.
 */
export function loadPictures(
  files: { path: string; label: number }[],
  target: ImageShape | 'own',
  opts: { fit?: ImageFit; channels?: 1 | 3; background?: 'black' | 'white'; skipBadImages?: boolean },
): LoadedPictures {
  if (target !== 'own') return loadPicturesAt(files, target, opts, null);
  const fallback = shapeOf(undefined);
  const because = (why: string): string => `${fallback.height}x${fallback.width} by default: ${why}; --image-size sets another`;
  let own: ImageShape | null = null;
  try {
    return loadPicturesAt(files, (width, height) => {
      if (own === null) {
        own = { height, width };
        if (!ownSizeFits(own)) throw new OwnSizeRefused(because(`their size ${height}x${width} is beyond ${OWN_SIZE_LIMITS.maxPixels} pixels or sides of ${OWN_SIZE_LIMITS.minSide} to ${OWN_SIZE_LIMITS.maxSide}`));
      } else if (own.height !== height || own.width !== width) throw new OwnSizeRefused(because('the pictures differ in size'));
      return own;
    }, opts, 'their own size');
  } catch (err) {
    if (!(err instanceof OwnSizeRefused)) throw err;
    return loadPicturesAt(files, fallback, opts, err.message);
  }
}

/** The own size cannot be used: the pictures are loaded again at the default. */
class OwnSizeRefused extends Error {}

function loadPicturesAt(
  files: { path: string; label: number }[],
  targetOf: ImageShape | ((width: number, height: number) => ImageShape),
  opts: { fit?: ImageFit; channels?: 1 | 3; background?: 'black' | 'white'; skipBadImages?: boolean },
  sizeNote: string | null,
): LoadedPictures {
  const fit = opts.fit ?? 'crop';
  let target: ImageShape = typeof targetOf === 'function' ? shapeOf(undefined) : targetOf;
  const skipped: { path: string; reason: string }[] = [];
  const prepared: Prepared[] = [];
  const used: { path: string; label: number }[] = [];
  const reshaped = new Map<string, number>();
  const resized = new Map<string, number>();
  for (const { path, label } of files) {
    let picture;
    try {
      picture = decodePicture(path);
    } catch (err) {
      if (!(err instanceof UserError) || opts.skipBadImages !== true) throw err;
      skipped.push({ path, reason: err.message });
      continue;
    }
    const { rgba, width, height } = picture;
    if (typeof targetOf === 'function') target = targetOf(width, height);
    const key = `${height}x${width}`;
    if (width * target.height !== height * target.width) reshaped.set(key, (reshaped.get(key) ?? 0) + 1);
    else if (width !== target.width) resized.set(key, (resized.get(key) ?? 0) + 1);
    prepared.push(prepare(rgba, width, height, target, { fit, channels: opts.channels, background: opts.background }));
    used.push({ path, label });
  }
  const anyColour = prepared.some((p) => p.colour);
  const channels = opts.channels ?? (anyColour ? 3 : 1);
  const background = opts.background ?? (anyColour ? 'white' : 'black');
  const n = target.height * target.width;
  const values = channels * n;
  const pixels = new Uint8Array(prepared.length * values);
  prepared.forEach((p, i) => {
    if (p.rgb !== undefined) pixels.set(p.rgb, i * values);
    else {
      const plane = background === 'white' ? p.grey!.white : p.grey!.black;
      for (let c = 0; c < channels; c++) pixels.set(plane, i * values + c * n);
    }
  });
  // The own size is said unless it is the default anyway, so 28 x 28 folders read as they always did.
  const ownIsDefault = typeof targetOf === 'function' && target.height === DEFAULT_FOLDER_SIDE && target.width === DEFAULT_FOLDER_SIDE;
  const notes: string[] = sizeNote !== null && !ownIsDefault ? [sizeNote] : [];
  const verb = { crop: 'cropped', pad: 'padded', stretch: 'stretched' }[fit];
  if (reshaped.size > 0) notes.push(`${verb} to ${describeShape(target)}${fit === 'pad' ? ` with ${background}` : ''} from ${listSizes(reshaped)}`);
  if (resized.size > 0) notes.push(`resized from ${listSizes(resized)}`);
  if (anyColour && channels === 1) notes.push('turned grey');
  if (!anyColour && channels === 3) notes.push('grey in 3 channels');
  if (prepared.some((p) => p.transparent)) notes.push(`transparent parts on ${background}`);
  return { pixels, labels: Uint8Array.from(used, (u) => u.label), used, skipped, channels, shape: target, preparation: notes.join(', ') };
}

/**
 * Splits loaded pictures into train and test sets by a seeded shuffle: `fraction` of them
 * (at least one, and at least one left to train on) for testing.
 */
export function splitPictures(
  name: string,
  loaded: LoadedPictures,
  target: ImageShape,
  description: DataDescription,
  seed: number,
  fraction: number,
): { train: ImageDataset; test: ImageDataset; testIndex: Uint32Array; trainIndex: Uint32Array } {
  const count = loaded.used.length;
  const values = loaded.channels * target.height * target.width;
  const order = new Random(seed).permutation(count);
  const testCount = Math.min(count - 1, Math.max(1, Math.round(count * fraction)));
  const pick = (idx: Uint32Array): ImageDataset => {
    const pixels = new Uint8Array(idx.length * values);
    const labels = new Uint8Array(idx.length);
    idx.forEach((src, i) => {
      pixels.set(loaded.pixels.subarray(src * values, (src + 1) * values), i * values);
      labels[i] = loaded.labels[src]!;
    });
    return { name, pixels, labels, count: idx.length, channels: loaded.channels, height: target.height, width: target.width, description };
  };
  const testIndex = order.subarray(0, testCount);
  const trainIndex = order.subarray(testCount);
  return { train: pick(trainIndex), test: pick(testIndex), testIndex, trainIndex };
}

/** Class names are the sub-folder names; the items are digits only when those are exactly 0..9. */
function folderDescription(classNames: string[]): DataDescription {
  return { classNames, noun: namesAreDigits(classNames) ? 'digit' : 'image' };
}

export function checkFolderSettings(target: ImageShape, fraction: number): void {
  for (const side of [target.height, target.width]) {
    if (!Number.isInteger(side) || side < 1 || side > 1024) throw new RangeError(`image size must be integers in [1, 1024], got ${target.height}x${target.width}`);
  }
  if (!(fraction > 0 && fraction < 1)) throw new RangeError(`test fraction must be in (0, 1), got ${fraction}`);
}

export function loadImageFolder(dir: string, options: FolderOptions = {}): DataSplits {
  checkFolderSettings(shapeOf(options.size), options.testFraction ?? DEFAULT_TEST_FRACTION);
  if (!isDirectory(dir)) {
    // A single image given as the folder is a likely slip; say what the spec wants.
    if (existsSync(dir)) throw new UserError(`folder:${dir} is a file; folder: takes a folder of images (optionally in one sub-folder per class)`);
    throw new UserError(`image folder not found: ${dir}`);
  }

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
    // Numbered folders are labelled by their numbers, so a gap (no folder 3) leaves a class without images.
    classNames = numeric ? Array.from({ length: Number(ordered[ordered.length - 1]) + 1 }, (_, i) => String(i)) : ordered;
    ordered.forEach((c, i) => {
      const label = numeric ? Number(c) : i;
      for (const f of listDir(join(dir, c)).filter(isImage)) files.push({ path: join(dir, c, f), label });
    });
  }
  if (files.length < 2) {
    throw new UserError(`image folder ${dir} has ${files.length} PNG/JPEG/WebP image${files.length === 1 ? '' : 's'}; at least 2 are needed (one to train on, one to test)`);
  }
  const loaded = loadPictures(files, options.size === undefined ? 'own' : shapeOf(options.size), options);
  if (loaded.used.length < 2) {
    throw new UserError(`image folder ${dir} has ${loaded.used.length} readable image${loaded.used.length === 1 ? '' : 's'} (${loaded.skipped.length} skipped); at least 2 are needed`);
  }
  const name = basename(resolve(dir));
  const fraction = options.testFraction ?? defaultTestFraction(loaded.used.length, options.minTestImages);
  const { train, test, testIndex, trainIndex } = splitPictures(name, loaded, loaded.shape, folderDescription(classNames), options.seed ?? 1, fraction);
  // Each image's file, so that what is computed from an image (its code) can be matched to it.
  train.files = Array.from(trainIndex, (i) => relativePath(dir, loaded.used[i]!.path));
  test.files = Array.from(testIndex, (i) => relativePath(dir, loaded.used[i]!.path));
  const record: DatasetRecord = folderRecord(dir, loaded.used, Array.from(testIndex, (i) => loaded.used[i]!.path), loaded.skipped.length);
  return {
    name,
    train,
    test,
    record,
    skipped: loaded.skipped,
    testFraction: fraction,
    ...(loaded.preparation !== '' ? { preparation: loaded.preparation } : {}),
  };
}
