import { extname } from 'node:path';
import { parseFlags } from './args.js';
import type { Command } from './command.js';
import { UserError } from '../errors.js';
import { ensureParentDir, writeFileAtomic } from '../io/atomic.js';
import { describeDatasetSpecs, isPreparedDataset, loadDataset, parseImageSize, type DatasetOptions } from '../data/source.js';
import type { ImageFit } from '../data/image-fit.js';
import type { ImageShape } from '../data/folder.js';
import { SMALL_FOLDER_TEST_IMAGES, TRAIN_SETTINGS } from '../run/settings.js';
import { imageFloats, subset } from '../data/dataset.js';
import { measuresFor } from '../measure/index.js';
import { commandProgress } from '../train/stage-progress.js';

const flags = {
  dataset: { kind: 'string', required: true, help: `Dataset: ${describeDatasetSpecs}`, valueName: 'D' },
  split: { kind: 'enum', choices: ['train', 'test'], default: 'test', help: 'Which split to measure' },
  limit: { kind: 'int', min: 1, help: 'Measure only the first N images of the split', valueName: 'N' },
  out: { kind: 'string', required: true, help: 'CSV file to write: index,label, then one column per measure', valueName: 'FILE.csv' },
  // A folder's images are measured as a run sees them: at its size and channels, fitted and split as it was.
  imageSize: { kind: 'string', help: TRAIN_SETTINGS.imageSize.help, valueName: 'N|HxW' },
  channels: { kind: 'enum', choices: TRAIN_SETTINGS.channels.choices, help: TRAIN_SETTINGS.channels.help },
  fit: { kind: 'enum', choices: TRAIN_SETTINGS.fit.choices, help: TRAIN_SETTINGS.fit.help },
  testFraction: { ...TRAIN_SETTINGS.testFraction, fixedOnResume: undefined },
  seed: { kind: 'int', min: 0, max: 0xffffffff, help: 'Seed of the train/test split of a folder: or emoji dataset, as vae train --seed (default 1)', valueName: 'N' },
} as const;

/** The loading options the flags give, refused where they do not apply as vae train refuses them. */
function datasetOptions(spec: string, opts: { imageSize?: string; channels?: '1' | '3'; fit?: ImageFit; testFraction?: number; seed?: number }): DatasetOptions {
  const prepared = isPreparedDataset(spec);
  for (const [name, value] of [['--image-size', opts.imageSize], ['--channels', opts.channels], ['--test-fraction', opts.testFraction], ['--seed', opts.seed]] as const) {
    if (value !== undefined && !prepared) throw new UserError(`vae measure: ${name} applies to folder: and emoji datasets; other datasets come as their files have them`);
  }
  if (opts.fit !== undefined && !spec.startsWith('folder:')) throw new UserError('vae measure: --fit applies to folder: datasets, whose images may differ in shape');
  let imageSize: ImageShape | undefined;
  if (opts.imageSize !== undefined) {
    const shape = parseImageSize(opts.imageSize);
    if (shape === null) throw new UserError(`vae measure: --image-size takes N or HxW (height x width), e.g. 64 or 64x48; got "${opts.imageSize}"`);
    for (const side of [shape.height, shape.width]) if (side < 4 || side > 512) throw new UserError(`vae measure: --image-size sides must be 4 to 512, got ${opts.imageSize}`);
    imageSize = shape;
  }
  return {
    ...(imageSize !== undefined ? { imageSize } : {}),
    ...(opts.channels !== undefined ? { channels: opts.channels === '3' ? 3 : 1 } : {}),
    ...(opts.fit !== undefined ? { fit: opts.fit } : {}),
    ...(opts.testFraction !== undefined ? { testFraction: opts.testFraction } : {}),
    // As vae train splits a new run of a small folder, so that "the test set" means the same images.
    ...(opts.testFraction === undefined && spec.startsWith('folder:') ? { minTestImages: SMALL_FOLDER_TEST_IMAGES } : {}),
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
  };
}

/** Enough digits for a fraction of a pixel or a degree, without float noise in the file. */
function formatValue(v: number): string {
  if (!Number.isFinite(v)) return '';
  const rounded = Math.round(v * 1e4) / 1e4;
  return String(rounded === 0 ? 0 : rounded);
}

export const measureCommand: Command = {
  name: 'measure',
  summary:
    'Measure every image of a dataset into a CSV file, one row per image. Grey glyphs (digits) get the Morpho-MNIST measures ' +
    '(area, length, thickness, slant_deg, width, height; lengths in pixels of the image, slant in degrees, positive when the top ' +
    'leans right); colour images get brightness, hue, saturation, object size, centroid and orientation.',
  flags,
  async run(argv) {
    const opts = parseFlags('vae measure', argv, flags);
    if (extname(opts.out).toLowerCase() !== '.csv') throw new UserError(`vae measure: --out must name a .csv file, got ${opts.out}`);
    const options = datasetOptions(opts.dataset, opts);
    const progress = commandProgress('vae measure');
    const data = progress.run('loading data', () => loadDataset(opts.dataset, options), { inPipe: false });
    const whole = opts.split === 'train' ? data.train : data.test;
    const ds = opts.limit === undefined ? whole : subset(whole, opts.limit);
    const set = measuresFor(ds);
    const lines: string[] = [['index', 'label', ...set.names].join(',')];
    progress.run(
      `measuring the ${opts.split} split`,
      (stage) => {
        for (let i = 0; i < ds.count; i++) {
          const values = set.measure(imageFloats(ds, i), ds.channels, ds.height, ds.width);
          lines.push([String(i), String(ds.labels[i]), ...set.names.map((name) => formatValue(values[name]!))].join(','));
          if ((i & 255) === 255) stage.update(i + 1);
        }
        stage.update(ds.count);
      },
      { total: ds.count, unit: 'images', inPipe: ds.count >= 1000 },
    );
    ensureParentDir(opts.out);
    writeFileAtomic(opts.out, lines.join('\n') + '\n');
    process.stdout.write(`wrote ${set.names.length} measures of ${ds.count} ${opts.split} images of ${opts.dataset} to ${opts.out}\n`);
    return 0;
  },
};
