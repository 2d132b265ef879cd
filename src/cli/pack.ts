/**
 * `vae pack`: a dataset's train and test splits as the four MNIST-named IDX files, so that
 * `idx:DIR` gives any reader, ours or python/train_ddp.py, the same bytes: a folder already
 * sized, coloured and split, or emoji, without the image decoding and the split on the other side.
 */
import { existsSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { parseFlags } from './args.js';
import type { Command } from './command.js';
import { UserError } from '../errors.js';
import { describeFsError, ensureWritableDir, writeFileAtomic } from '../io/atomic.js';
import { isPreparedDataset, loadDataset, parseImageSize, type DatasetOptions } from '../data/source.js';
import { IDX_CLASSES_FILE } from '../data/mnist.js';
import type { ImageDataset } from '../data/dataset.js';
import { SMALL_FOLDER_TEST_IMAGES, TRAIN_SETTINGS } from '../run/settings.js';

const flags = {
  dataset: { ...TRAIN_SETTINGS.dataset, help: `The data to write: ${TRAIN_SETTINGS.dataset.help.replace(/^Training data: /, '')}` },
  out: { kind: 'string', required: true, help: 'Folder to write the IDX files (and classes.json) into', valueName: 'DIR' },
  imageSize: TRAIN_SETTINGS.imageSize,
  channels: TRAIN_SETTINGS.channels,
  fit: TRAIN_SETTINGS.fit,
  testFraction: TRAIN_SETTINGS.testFraction,
  seed: { kind: 'int', min: 0, max: 0xffffffff, default: 1, help: 'Seed of a folder: or emoji dataset\'s train/test split (as vae train --seed splits it)' },
  skipBadImages: TRAIN_SETTINGS.skipBadImages,
} as const;

/** The IDX files of a split, as vae train --dataset idx:DIR reads them. */
const FILES = { train: ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte'], test: ['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'] } as const;

/** An unsigned-byte IDX file: magic 0x0000080N, N big-endian dimensions, the bytes. */
export function encodeIdx(dims: number[], data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, 0x0800 + dims.length, false);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
}

/** Grey images as count x height x width, as every MNIST reader expects; colour with the channels after the count. */
function imageDims(d: ImageDataset): number[] {
  return d.channels === 1 ? [d.count, d.height, d.width] : [d.count, d.channels, d.height, d.width];
}

export const packCommand: Command = {
  name: 'pack',
  summary:
    "Write a dataset's train and test splits as the four MNIST-named IDX files (colour images as count x channels x height x width) " +
    'with its class names in classes.json, so idx:DIR gives vae and python/train_ddp.py the same images.',
  flags,
  async run(argv) {
    const opts = parseFlags('vae pack', argv, flags);
    const fail = (message: string): never => {
      throw new UserError(`vae pack: ${message}`);
    };
    const prepared = isPreparedDataset(opts.dataset);
    for (const [given, flag] of [[opts.imageSize, '--image-size'], [opts.channels, '--channels'], [opts.testFraction, '--test-fraction']] as const) {
      if (given !== undefined && !prepared) fail(`${flag} applies to folder: and emoji datasets; other datasets come as their files have them`);
    }
    if (opts.fit !== undefined && !opts.dataset.startsWith('folder:')) fail('--fit applies to folder: datasets, whose images may differ in shape');
    if (opts.skipBadImages && !opts.dataset.startsWith('folder:')) fail('--skip-bad-images applies to folder: datasets');
    const options: DatasetOptions = { seed: opts.seed, fit: opts.fit ?? 'crop', ...(opts.skipBadImages ? { skipBadImages: true } : {}) };
    if (opts.imageSize !== undefined) {
      const shape = parseImageSize(opts.imageSize);
      if (shape === null || [shape.height, shape.width].some((s) => s < 4 || s > 512)) fail(`--image-size takes N or HxW (height x width) with sides 4 to 512, e.g. 64 or 64x48; got "${opts.imageSize}"`);
      options.imageSize = shape!;
    }
    if (opts.channels !== undefined) options.channels = opts.channels === '3' ? 3 : 1;
    if (opts.testFraction !== undefined) options.testFraction = opts.testFraction;
    // As vae train splits a new run of a small folder, so that the packed test set is the one a run would hold out.
    else if (opts.dataset.startsWith('folder:')) options.minTestImages = SMALL_FOLDER_TEST_IMAGES;
    const data = loadDataset(opts.dataset, options);
    ensureWritableDir(opts.out);
    for (const split of ['train', 'test'] as const) {
      const d = data[split];
      const [images, labels] = FILES[split];
      writeFileAtomic(join(opts.out, images), encodeIdx(imageDims(d), d.pixels.subarray(0, d.count * d.channels * d.height * d.width)));
      writeFileAtomic(join(opts.out, labels), encodeIdx([d.count], d.labels.subarray(0, d.count)));
    }
    const names = data.train.description.classNames;
    const namesPath = join(opts.out, IDX_CLASSES_FILE);
    if (names.length > 0) writeFileAtomic(namesPath, JSON.stringify(names) + '\n');
    else if (existsSync(namesPath)) {
      // Names left from an earlier pack would name these classes wrongly.
      try {
        unlinkSync(namesPath);
      } catch (err) {
        fail(`cannot remove the stale ${namesPath}: ${describeFsError(err)}`);
      }
    }
    const t = data.train;
    const shape = `${t.channels === 3 ? 'colour ' : ''}${t.height}x${t.width}`;
    const named = names.length > 0 ? `, ${names.length} class name${names.length === 1 ? '' : 's'} in ${IDX_CLASSES_FILE}` : '';
    process.stdout.write(`wrote ${t.count} train / ${data.test.count} test ${shape} images of ${opts.dataset} to ${opts.out} as IDX files${named}\n`);
    return 0;
  },
};
