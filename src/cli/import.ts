import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseFlags } from './args.js';
import type { Command } from './command.js';
import { UserError } from '../errors.js';
import { ensureWritableDir, writeFileAtomic } from '../io/atomic.js';
import { readContainer } from '../io/container.js';
import { readRegularFile } from '../io/bounded-read.js';
import { kernels } from '../engine/tensor.js';
import { Random } from '../engine/random.js';
import { Adam } from '../nn/adam.js';
import { CHECKPOINT_FILE, saveCheckpoint } from '../train/checkpoint.js';
import { DEFAULT_TRAINING_CONFIG, runDataConfig, type RunConfig, type RunDataConfig, type TrainingConfig } from '../train/config.js';
import { TORCH_META, fromTorchExport, type TorchImport } from '../vae/torch-interop.js';
import { channelsOf } from '../vae/config.js';
import { isPreparedDataset, loadDataset, type DatasetOptions } from '../data/source.js';
import { DEFAULT_TEST_FRACTION, IMAGE_FITS, type ImageFit } from '../data/folder.js';
import { namesAreDigits, valuesPerImage } from '../data/dataset.js';
import type { Binarize } from '../data/batches.js';

const flags = {
  from: {
    kind: 'string',
    required: true,
    help: "safetensors file written by vae export or python/train_ddp.py, or the classic PyTorch VAE's state dict (fc1, fc21, fc22, fc3, fc4; sizes from the shapes)",
    valueName: 'FILE',
  },
  out: { kind: 'string', required: true, help: 'Run folder to create', valueName: 'DIR' },
  dataset: { kind: 'string', default: DEFAULT_TRAINING_CONFIG.dataset, help: 'The data the model belongs to, for eval, reconstruct and further training', valueName: 'SPEC' },
} as const;

export const importCommand: Command = {
  name: 'import',
  summary:
    'Turn a PyTorch state dict (from vae export, python/train_ddp.py, or the classic example: fc1, fc21, fc22, fc3, fc4) into a run folder ' +
    'that eval, sample, reconstruct and train --resume work on; class names in the file are kept.',
  flags,
  async run(argv) {
    const opts = parseFlags('vae import', argv, flags);
    if (existsSync(join(opts.out, CHECKPOINT_FILE))) throw new UserError(`vae import: ${opts.out} already holds a run; choose another --out`);
    if (!existsSync(opts.from)) throw new UserError(`vae import: no such file: ${opts.from}`);
    const { tensors, metadata } = readContainer(readRegularFile(opts.from, 'state dict file'), opts.from, { noun: 'state dict' });
    const made = preparedDataOptions(opts.dataset, metadata);
    const data = loadDataset(opts.dataset, made.options);
    let imported: TorchImport;
    try {
      imported = fromTorchExport(tensors, metadata, { height: data.train.height, width: data.train.width });
    } catch (err) {
      throw new UserError(`vae import: ${opts.from} is not a VAE state dict this toolkit reads: ${(err as Error).message}`);
    }
    const { model } = imported;
    const m = model.config;
    const d = data.train;
    if (valuesPerImage(d) !== m.inputDim || channelsOf(m) !== d.channels || m.imageHeight !== d.height || m.imageWidth !== d.width) {
      const shape = (c: number, h: number, w: number): string => `${c === 1 ? 'grey' : `${c}-channel`} ${h}x${w} images`;
      throw new UserError(`vae import: the model takes ${shape(channelsOf(m), m.imageHeight, m.imageWidth)}, ${opts.dataset} has ${shape(d.channels, d.height, d.width)}; name the model's data with --dataset`);
    }
    const binarize: Binarize = imported.binarize === 'dynamic' ? 'dynamic' : 'none';
    const config: RunConfig = {
      model: model.config,
      training: { ...DEFAULT_TRAINING_CONFIG, dataset: opts.dataset, binarize, ...made.training },
      kernels: kernels().name,
      data: runData(runDataConfig(data.train), imported.classNames),
    };
    // Epoch 0 with fresh optimizer moments: `vae train --resume` fine-tunes it from here.
    const state = { config, model, optimizer: new Adam(model.parameters(), { lr: config.training.lr }), rng: new Random(config.training.seed), epoch: 0 };
    ensureWritableDir(opts.out);
    saveCheckpoint(opts.out, state);
    writeFileAtomic(join(opts.out, 'config.json'), JSON.stringify(config, null, 2) + '\n');
    const { inputDim, hidden, latent } = model.config;
    const names = imported.classNames === undefined ? '' : ` with its ${imported.classNames.length} class names`;
    process.stdout.write(`imported a ${[inputDim, ...hidden, latent].join('-')} VAE${names} into ${opts.out}\n`);
    return 0;
  },
};

/**
 * For a folder or emoji dataset, how to make its images for this model: at the model's size and
 * channels (from the file's config), fitted and split as the file's metadata says (a file
 * without it: crop, seed 1, the default test share). The same settings go into the run's
 * training config, so eval and train --resume make the same images again.
 */
function preparedDataOptions(spec: string, metadata: Record<string, string>): { options: DatasetOptions; training: Partial<TrainingConfig> } {
  if (!isPreparedDataset(spec)) return { options: {}, training: {} };
  const meta = (key: string): string | undefined => (Object.hasOwn(metadata, key) ? metadata[key] : undefined);
  const parse = (key: string): Record<string, unknown> | undefined => {
    const text = meta(key);
    if (text === undefined) return undefined;
    try {
      const value: unknown = JSON.parse(text);
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
    } catch {
      // Reported below, as any other shape.
    }
    throw new UserError(`vae import: the metadata ${key} is not a JSON object`);
  };
  const model = parse(TORCH_META.model);
  const made = parse(TORCH_META.data) ?? {};
  const fit = made.fit ?? 'crop';
  if (!IMAGE_FITS.includes(fit as ImageFit)) throw new UserError(`vae import: the metadata ${TORCH_META.data} names an unknown fit ${JSON.stringify(fit)}`);
  const seed = made.seed ?? DEFAULT_TRAINING_CONFIG.seed;
  if (!Number.isInteger(seed) || (seed as number) < 0 || (seed as number) > 0xffffffff) throw new UserError(`vae import: the metadata ${TORCH_META.data} has a bad split seed ${JSON.stringify(seed)}`);
  const testFraction = made.testFraction ?? DEFAULT_TEST_FRACTION;
  if (typeof testFraction !== 'number' || !(testFraction > 0 && testFraction < 1)) throw new UserError(`vae import: the metadata ${TORCH_META.data} has a bad test fraction ${JSON.stringify(testFraction)}`);
  const options: DatasetOptions = { fit: fit as ImageFit, seed: seed as number, testFraction };
  if (model !== undefined && Number.isInteger(model.imageHeight) && Number.isInteger(model.imageWidth)) {
    options.imageSize = { height: model.imageHeight as number, width: model.imageWidth as number };
    options.channels = model.channels === 3 ? 3 : 1;
  }
  return { options, training: { ...(spec.startsWith('folder:') ? { fit: fit as ImageFit } : {}), seed: seed as number, testFraction } };
}

/** The data's record, with the class names the file carries in place of the data's own: they are the model's. */
function runData(fromData: RunDataConfig, fileNames: string[] | undefined): RunDataConfig {
  if (fileNames === undefined) return fromData;
  const digits = fromData.channels === 1 && namesAreDigits(fileNames);
  return { ...fromData, classNames: [...fileNames], noun: digits ? 'digit' : 'image' };
}
