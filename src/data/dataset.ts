/** In-memory image datasets, as every loader produces them and every consumer takes them. */

/**
 * What the data are, for the words and legends a person reads. Kept apart from the pixels
 * so that a run can store it (config.json, checkpoint) and figures can say it without data.
 */
export interface DataDescription {
  /** Class names in label order: label i is called classNames[i]. [] when the data have no classes. */
  classNames: string[];
  /**
   * Singular noun for one item: 'digit' only for digit data (MNIST, or an idx/folder whose
   * classes are 0..9), else 'image'. Plural: noun + 's'.
   */
  noun: 'digit' | 'image';
}

export interface ImageDataset {
  name: string;
  /**
   * count x channels x height x width bytes: per image the channel planes one after another
   * (CHW), rows top to bottom. Bytes, not floats: a quarter of the memory, and the form every
   * source has anyway; batches turn them into floats as they are served.
   */
  pixels: Uint8Array;
  /** One class label per image. */
  labels: Uint8Array;
  count: number;
  /** 1 (grey) or 3 (RGB). */
  channels: number;
  height: number;
  width: number;
  description: DataDescription;
  /**
   * Each image's file, relative to the folder it was read from ('/'-separated), for data read
   * from files one image each (folder:); absent for data with no file per image.
   */
  files?: string[];
}

export interface DataSplits {
  name: string;
  train: ImageDataset;
  test: ImageDataset;
  /** For data that can change on disk (an image folder): what was loaded, to be kept with a run. */
  record?: DatasetRecord;
  /** Images left out because they could not be read (only when asked to skip them). */
  skipped?: { path: string; reason: string }[];
  /** How the images were brought to their size and channels, for the run header (folders). */
  preparation?: string;
  /** The share held out for testing, for data split by the toolkit (folders). */
  testFraction?: number;
}

/**
 * What a run keeps of a folder dataset, so that resuming on a changed folder is noticed:
 * the images used and the split, as digests of their sorted relative paths.
 */
export interface DatasetRecord {
  /** Images used (readable ones). */
  images: number;
  /** Class folders, in label order; empty without class folders. */
  classes: string[];
  /** SHA-256 of the sorted relative paths with their labels. */
  files: string;
  /** SHA-256 of the test split's sorted relative paths. */
  test: string;
  /** Images skipped as unreadable. */
  skipped: number;
}

/** The ten digit classes '0'..'9', as MNIST-like data call them. */
export const DIGIT_CLASSES: readonly string[] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

/** Fashion-MNIST's ten classes (Xiao et al. 2017), in label order. */
export const FASHION_MNIST_CLASSES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
] as const;

/** Whether class names are exactly the digits 0..9 in order: only then are the items called digits. */
export function namesAreDigits(classNames: readonly string[]): boolean {
  return classNames.length === 10 && classNames.every((c, i) => c === String(i));
}

/** Values (bytes, or floats once served) per image: channels * height * width. */
export function valuesPerImage(ds: { channels: number; height: number; width: number }): number {
  return ds.channels * ds.height * ds.width;
}

// i / 255 rounded once to float32: exact, and the same scaling everywhere bytes become floats.
export const BYTE_TO_UNIT: Float32Array = (() => {
  const lut = new Float32Array(256);
  for (let i = 0; i < 256; i++) lut[i] = i / 255;
  return lut;
})();

/** Bytes scaled to [0, 1] floats (b / 255 as float32), into `out` when given. */
export function bytesToUnit(bytes: Uint8Array, out: Float32Array = new Float32Array(bytes.length)): Float32Array {
  const lut = BYTE_TO_UNIT;
  for (let i = 0; i < bytes.length; i++) out[i] = lut[bytes[i]!]!;
  return out;
}

/** One image as floats in [0, 1] (b / 255), CHW. */
export function imageFloats(ds: ImageDataset, index: number): Float32Array {
  if (!Number.isInteger(index) || index < 0 || index >= ds.count) {
    throw new RangeError(`image index ${index} is outside 0..${ds.count - 1}`);
  }
  const v = valuesPerImage(ds);
  return bytesToUnit(ds.pixels.subarray(index * v, (index + 1) * v));
}

/**
 * The first `count` images (all when absent) as floats in [0, 1], CHW per image: for figures
 * and other small sets. Whole training sets stay bytes; batches convert as they go.
 */
export function datasetFloats(ds: ImageDataset, count: number = ds.count): Float32Array {
  const n = Math.max(0, Math.min(count, ds.count));
  return bytesToUnit(ds.pixels.subarray(0, n * valuesPerImage(ds)));
}

/**
 * The first `count` examples (all of them if the dataset is smaller). The arrays are views
 * of the original ones, so a subset of MNIST costs nothing; writing into it writes through.
 */
export function subset(ds: ImageDataset, count: number): ImageDataset {
  if (!Number.isInteger(count) || count < 0) {
    throw new RangeError(`subset size must be a non-negative integer, got ${count}`);
  }
  const n = Math.min(count, ds.count);
  return {
    ...ds,
    pixels: ds.pixels.subarray(0, n * valuesPerImage(ds)),
    labels: ds.labels.subarray(0, n),
    count: n,
    ...(ds.files !== undefined ? { files: ds.files.slice(0, n) } : {}),
  };
}
