/** Turns a dataset spec from the command line into loaded data. */
import { UserError } from '../errors.js';
import type { DataSplits } from './dataset.js';
import { loadIdxFolder, loadMnist } from './mnist.js';
import { loadFashionMnist } from './fashion-mnist.js';
import { loadImageFolder } from './folder.js';
import { loadDsprites } from './dsprites.js';

export const describeDatasetSpecs =
  'mnist (the MNIST digits bundled with the toolkit), fashion-mnist (from the Debian package dataset-fashion-mnist), ' +
  'idx:DIR (a folder with the four MNIST-style IDX files train-images-idx3-ubyte, train-labels-idx1-ubyte, ' +
  't10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, plain or .gz) or folder:DIR (PNG/JPEG images, ' +
  'optionally in one sub-folder per class, turned grey, resized and split by seed), or dsprites (64x64 shapes on ' +
  "dSprites' grid of shape, scale, orientation and position, drawn in code: 100,000 train / 10,000 test images unless " +
  '--train-size / --test-size say otherwise)';

export interface DatasetOptions {
  /** Side that folder: images are resized to (default 28). */
  imageSize?: number;
  /** Seed of a folder: dataset's train/test split (default 1). */
  seed?: number;
  /** Skip (and count) unreadable images of a folder: dataset instead of refusing it. */
  skipBadImages?: boolean;
  /** Images of a generated dataset (dsprites) to render for training and for testing (its defaults when absent). */
  trainSize?: number;
  testSize?: number;
}

export function loadDataset(spec: string, options: DatasetOptions = {}): DataSplits {
  if (spec === 'mnist') return loadMnist();
  if (spec === 'fashion-mnist') return loadFashionMnist();
  if (spec === 'dsprites') return loadDsprites({ trainSize: options.trainSize, testSize: options.testSize });
  if (spec.startsWith('idx:')) {
    const dir = spec.slice(4);
    if (dir === '') throw new UserError('dataset spec "idx:" needs a folder, e.g. idx:./fashion');
    return loadIdxFolder(dir);
  }
  if (spec.startsWith('folder:')) {
    const dir = spec.slice(7);
    if (dir === '') throw new UserError('dataset spec "folder:" needs a folder, e.g. folder:./my-digits');
    return loadImageFolder(dir, { size: options.imageSize, seed: options.seed, skipBadImages: options.skipBadImages });
  }
  throw new UserError(`unknown dataset "${spec}" (expected mnist, fashion-mnist, dsprites, idx:DIR or folder:DIR)`);
}
