/** In-memory image datasets, as every loader produces them and every consumer takes them. */

export interface ImageDataset {
  name: string;
  /** count * height * width pixels, row-major per image, each in [0, 1]. */
  images: Float32Array;
  /** One class label per image. Unused by the VAE itself, kept for plots and analysis. */
  labels: Uint8Array;
  count: number;
  height: number;
  width: number;
}

export interface DataSplits {
  name: string;
  train: ImageDataset;
  test: ImageDataset;
  /** For data that can change on disk (an image folder): what was loaded, to be kept with a run. */
  record?: DatasetRecord;
  /** Images left out because they could not be read (only when asked to skip them). */
  skipped?: { path: string; reason: string }[];
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

export function pixelsPerImage(ds: ImageDataset): number {
  return ds.height * ds.width;
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
    images: ds.images.subarray(0, n * pixelsPerImage(ds)),
    labels: ds.labels.subarray(0, n),
    count: n,
  };
}
