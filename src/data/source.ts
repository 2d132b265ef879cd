/** Turns a dataset spec from the command line into loaded data. */
import { UserError } from '../errors.js';
import type { DataSplits } from './dataset.js';
import { loadIdxFolder, loadMnist } from './mnist.js';
import { loadFashionMnist } from './fashion-mnist.js';
import { loadImageFolder, type ImageFit, type ImageShape } from './folder.js';
import { loadEmoji } from './emoji.js';
import { loadDsprites } from './dsprites.js';

export const describeDatasetSpecs =
  'mnist (the MNIST digits bundled with the toolkit), fashion-mnist (from the Debian package dataset-fashion-mnist), ' +
  'emoji (3,781 colour 64x64 emoji in 9 categories, from the npm package emoji-datasource-google, installed on demand), ' +
  'idx:DIR (a folder with the four MNIST-style IDX files train-images-idx3-ubyte, train-labels-idx1-ubyte, ' +
  't10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, plain or .gz) or folder:DIR (PNG/JPEG/WebP images, ' +
  'optionally in one sub-folder per class, which names the class; kept in colour when they have colour, brought to --image-size by --fit, and split by seed), or dsprites (64x64 shapes on ' +
  "dSprites' grid of shape, scale, orientation and position, drawn in code: 100,000 train / 10,000 test images unless " +
  '--train-size / --test-size say otherwise)';

export interface DatasetOptions {
  /** Size folder: and emoji (default 64) images are brought to: a side, or height and width; a folder's default is in FolderOptions.size. */
  imageSize?: number | ImageShape;
  /** Channels of folder: and emoji images (1 grey, 3 RGB); absent: what the images have. */
  channels?: 1 | 3;
  /** How folder: images of another shape are fitted (default crop). */
  fit?: ImageFit;
  /** Colour under the transparent parts of folder: images; absent: white for colour images, black for grey. */
  background?: 'black' | 'white';
  /** Seed of a folder: or emoji dataset's train/test split (default 1). */
  seed?: number;
  /** Share of a folder: or emoji dataset held out for testing (default 0.1). */
  testFraction?: number;
  /** Without testFraction, hold out at least this many images of a small folder (FolderOptions.minTestImages). */
  minTestImages?: number;
  /** Skip (and count) unreadable images of a folder: dataset instead of refusing it. */
  skipBadImages?: boolean;
  /** Images of a generated dataset (dsprites) to render for training and for testing (its defaults when absent). */
  trainSize?: number;
  testSize?: number;
}

/** Whether a spec's images are prepared by the toolkit (sized, channels chosen, split), rather than fixed by their files. */
export function isPreparedDataset(spec: string): boolean {
  return spec === 'emoji' || spec.startsWith('folder:');
}

/** `64` (square) or `64x48` (height x width), as --image-size takes it. */
export function parseImageSize(text: string): ImageShape | null {
  const m = /^(\d{1,4})(?:x(\d{1,4}))?$/.exec(text.trim());
  if (m === null) return null;
  const height = Number(m[1]);
  const width = m[2] === undefined ? height : Number(m[2]);
  return { height, width };
}

export function loadDataset(spec: string, options: DatasetOptions = {}): DataSplits {
  if (spec === 'mnist') return loadMnist();
  if (spec === 'fashion-mnist') return loadFashionMnist();
  if (spec === 'emoji') {
    return loadEmoji({ size: options.imageSize, channels: options.channels, seed: options.seed, testFraction: options.testFraction });
  }
  if (spec === 'dsprites') return loadDsprites({ trainSize: options.trainSize, testSize: options.testSize });
  if (spec.startsWith('idx:')) {
    const dir = spec.slice(4);
    if (dir === '') throw new UserError('dataset spec "idx:" needs a folder, e.g. idx:./fashion');
    return loadIdxFolder(dir);
  }
  if (spec.startsWith('folder:')) {
    const dir = spec.slice(7);
    if (dir === '') throw new UserError('dataset spec "folder:" needs a folder, e.g. folder:./my-digits');
    return loadImageFolder(dir, {
      size: options.imageSize,
      channels: options.channels,
      fit: options.fit,
      background: options.background,
      seed: options.seed,
      testFraction: options.testFraction,
      ...(options.minTestImages !== undefined ? { minTestImages: options.minTestImages } : {}),
      skipBadImages: options.skipBadImages,
    });
  }
  throw new UserError(`unknown dataset "${spec}" (expected mnist, fashion-mnist, emoji, dsprites, idx:DIR or folder:DIR)`);
}
