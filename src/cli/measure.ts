import { extname } from 'node:path';
import { parseFlags } from './args.js';
import type { Command } from './command.js';
import { UserError } from '../errors.js';
import { ensureParentDir, writeFileAtomic } from '../io/atomic.js';
import { describeDatasetSpecs, loadDataset } from '../data/source.js';
import { imageFloats, subset, type ImageDataset } from '../data/dataset.js';
import { measuresFor } from '../measure/index.js';
import { commandProgress } from '../train/stage-progress.js';

const flags = {
  dataset: { kind: 'string', required: true, help: `Dataset: ${describeDatasetSpecs}`, valueName: 'D' },
  split: { kind: 'enum', choices: ['train', 'test'], default: 'test', help: 'Which split to measure' },
  limit: { kind: 'int', min: 1, help: 'Measure only the first N images of the split', valueName: 'N' },
  out: { kind: 'string', required: true, help: 'CSV file to write: index,label, then one column per measure', valueName: 'FILE.csv' },
} as const;

/** One image as floats in [0, 1], CHW; the one place that knows how a dataset hands out an image. */
function imageAt(ds: ImageDataset, index: number): Float32Array {
  return imageFloats(ds, index);
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
    const progress = commandProgress('vae measure');
    const data = progress.run('loading data', () => loadDataset(opts.dataset), { inPipe: false });
    const whole = opts.split === 'train' ? data.train : data.test;
    const ds = opts.limit === undefined ? whole : subset(whole, opts.limit);
    const channels = 1;
    const set = measuresFor({ channels, description: { noun: 'digit' } });
    const lines: string[] = [['index', 'label', ...set.names].join(',')];
    progress.run(
      `measuring the ${opts.split} split`,
      (stage) => {
        for (let i = 0; i < ds.count; i++) {
          const values = set.measure(imageAt(ds, i), channels, ds.height, ds.width);
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
