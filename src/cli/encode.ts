import { extname } from 'node:path';
import { parseFlags } from './args.js';
import type { Command } from './command.js';
import { applyKernels, checkpointFlag, kernelsFlag } from './shared-flags.js';
import { datasetForRun } from './run-data.js';
import { UserError } from '../errors.js';
import { ensureParentDir, writeFileAtomic } from '../io/atomic.js';
import { encodeSafetensors, type NamedTensor } from '../io/safetensors.js';
import { subset, type ImageDataset } from '../data/dataset.js';
import { DSPRITES_FACTOR_COLUMNS, dspritesFactorsOf } from '../data/dsprites.js';
import { checkLabelsFit } from '../data/labels.js';
import { loadCheckpoint } from '../train/checkpoint.js';
import { encodeDataset, type EncodedDataset } from '../train/posterior.js';
import { commandProgress } from '../train/stage-progress.js';

const flags = {
  checkpoint: checkpointFlag,
  dataset: { kind: 'string', help: "Dataset to encode (default: the run's own, with its --train-size and --test-size)", valueName: 'SPEC' },
  split: { kind: 'enum', choices: ['train', 'test'], default: 'test', help: 'Which split to encode' },
  limit: { kind: 'int', min: 1, max: 1e9, help: 'Encode only the first N images of the split', valueName: 'N' },
  out: {
    kind: 'string',
    required: true,
    help:
      'File to write: .csv (index,label,mu_0..,logvar_0.., and for folder: data file, the image file relative to the folder) ' +
      'or .safetensors (tensors mu [N, L], logvar [N, L], labels [N]; for folder: data the files as JSON in the metadata field files)',
    valueName: 'FILE',
  },
  kernels: kernelsFlag,
} as const;

/**
 * Columns a dataset adds beside the codes: the ground-truth factors of generated data, as
 * integer indices, so codes can be compared with what made the images. Image collections have
 * none; a generated dataset answers here with its factor names and each image's values.
 */
export interface ExtraColumns {
  names: string[];
  values(index: number): number[];
}

export function extraColumnsFor(data: ImageDataset): ExtraColumns | null {
  // dsprites: factor_shape, factor_scale, factor_orientation, factor_posx, factor_posy.
  const factors = dspritesFactorsOf(data);
  if (factors === null) return null;
  return { names: [...DSPRITES_FACTOR_COLUMNS], values: (index) => [...factors(index)] };
}

/** A CSV cell as RFC 4180 writes it: quoted when it holds a comma, a quote or a line break. */
function csvCell(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Shortest decimal that reads back as the same float32 (9 significant digits always do). */
function float32Text(v: number): string {
  return String(Number(v.toPrecision(9)));
}

export function encodedCsv(data: ImageDataset, encoded: EncodedDataset, extra: ExtraColumns | null): string {
  const L = encoded.latent;
  const files = data.files;
  const header = [
    'index',
    'label',
    ...Array.from({ length: L }, (_, d) => `mu_${d}`),
    ...Array.from({ length: L }, (_, d) => `logvar_${d}`),
    ...(extra?.names ?? []),
    ...(files !== undefined ? ['file'] : []),
  ];
  const lines = [header.join(',')];
  for (let i = 0; i < encoded.count; i++) {
    const cells: string[] = [String(i), String(data.labels[i]!)];
    for (let d = 0; d < L; d++) cells.push(float32Text(encoded.mu[i * L + d]!));
    for (let d = 0; d < L; d++) cells.push(float32Text(encoded.logvar[i * L + d]!));
    if (extra !== null) for (const v of extra.values(i)) cells.push(String(v));
    if (files !== undefined) cells.push(csvCell(files[i]!));
    lines.push(cells.join(','));
  }
  return lines.join('\n') + '\n';
}

export function encodedSafetensors(data: ImageDataset, encoded: EncodedDataset, extra: ExtraColumns | null, about: Record<string, string>): Uint8Array {
  const { count: n, latent: L } = encoded;
  const tensors: Record<string, NamedTensor> = {
    mu: { shape: [n, L], data: encoded.mu },
    logvar: { shape: [n, L], data: encoded.logvar },
    // The container holds float32; class labels are small integers, exact in it.
    labels: { shape: [n], data: Float32Array.from(data.labels.subarray(0, n)) },
  };
  const metadata: Record<string, string> = { format: 'vae-toolkit/encoded', ...about };
  if (data.files !== undefined) metadata.files = JSON.stringify(data.files.slice(0, n));
  if (extra !== null) {
    const k = extra.names.length;
    const values = new Float32Array(n * k);
    for (let i = 0; i < n; i++) values.set(extra.values(i), i * k);
    tensors.extra = { shape: [n, k], data: values };
    metadata.extra_columns = JSON.stringify(extra.names);
  }
  return encodeSafetensors(tensors, metadata);
}

export const encodeCommand: Command = {
  name: 'encode',
  summary:
    "Encode images with a trained VAE: each image's posterior mean and log-variance, as CSV or safetensors, " +
    'for use in other tools (clustering, plots, classifiers).',
  flags,
  async run(argv) {
    const opts = parseFlags('vae encode', argv, flags);
    const format = extname(opts.out).toLowerCase();
    if (format !== '.csv' && format !== '.safetensors') throw new UserError(`vae encode: --out must name a .csv or .safetensors file, got ${opts.out}`);
    applyKernels(opts.kernels);
    const state = loadCheckpoint(opts.checkpoint);
    const progress = commandProgress('vae encode');
    const dataset = opts.dataset ?? state.config.training.dataset;
    const data = progress.run(`loading ${dataset}`, () => datasetForRun('vae encode', state, opts.dataset), { inPipe: false });
    const split = opts.split === 'train' ? data.train : data.test;
    const images = opts.limit === undefined ? split : subset(split, opts.limit);
    // The run's data checks its test labels; a conditional model encodes the training images with theirs too.
    checkLabelsFit('vae encode', state.model.classes, images, opts.split === 'train' ? 'training' : 'test');
    const encoded = progress.run(`encoding ${images.count} ${opts.split} images`, () => encodeDataset(state.model, images));
    const extra = extraColumnsFor(images);
    const bytes =
      format === '.csv'
        ? encodedCsv(images, encoded, extra)
        : encodedSafetensors(images, encoded, extra, { dataset, split: opts.split, latent: String(encoded.latent) });
    ensureParentDir(opts.out);
    writeFileAtomic(opts.out, bytes);
    process.stdout.write(`wrote the posterior means and log-variances of ${images.count} ${data.name} ${opts.split} images (latent ${encoded.latent}) to ${opts.out}\n`);
    return 0;
  },
};
