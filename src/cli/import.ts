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
import { DEFAULT_TRAINING_CONFIG, runDataConfig, type RunConfig } from '../train/config.js';
import { fromTorchStateDict } from '../vae/torch-interop.js';
import { loadDataset } from '../data/source.js';
import { valuesPerImage } from '../data/dataset.js';

const flags = {
  from: { kind: 'string', required: true, help: "safetensors file with the classic PyTorch VAE's state dict (fc1, fc21, fc22, fc3, fc4)", valueName: 'FILE' },
  out: { kind: 'string', required: true, help: 'Run folder to create', valueName: 'DIR' },
  dataset: { kind: 'string', default: DEFAULT_TRAINING_CONFIG.dataset, help: 'The data the model belongs to, for eval, reconstruct and further training', valueName: 'SPEC' },
} as const;

export const importCommand: Command = {
  name: 'import',
  summary:
    "Turn a PyTorch-trained classic MLP VAE (safetensors, names fc1, fc21, fc22, fc3, fc4; sizes from the shapes) into a run folder " +
    'that eval, sample, reconstruct and train --resume work on.',
  flags,
  async run(argv) {
    const opts = parseFlags('vae import', argv, flags);
    if (existsSync(join(opts.out, CHECKPOINT_FILE))) throw new UserError(`vae import: ${opts.out} already holds a run; choose another --out`);
    if (!existsSync(opts.from)) throw new UserError(`vae import: no such file: ${opts.from}`);
    const { tensors } = readContainer(readRegularFile(opts.from, 'state dict file'), opts.from, { noun: 'state dict' });
    const data = loadDataset(opts.dataset);
    let model;
    try {
      model = fromTorchStateDict(tensors, { height: data.train.height, width: data.train.width });
    } catch (err) {
      throw new UserError(`vae import: ${opts.from} is not the classic VAE layout: ${(err as Error).message}`);
    }
    if (valuesPerImage(data.train) !== model.config.inputDim) {
      throw new UserError(`vae import: the model has ${model.config.inputDim} pixels per image, ${opts.dataset} has ${valuesPerImage(data.train)}`);
    }
    const config: RunConfig = {
      model: model.config,
      training: { ...DEFAULT_TRAINING_CONFIG, dataset: opts.dataset },
      kernels: kernels().name,
      data: runDataConfig(data.train),
    };
    // Epoch 0 with fresh optimizer moments: `vae train --resume` fine-tunes it from here.
    const state = { config, model, optimizer: new Adam(model.parameters(), { lr: config.training.lr }), rng: new Random(config.training.seed), epoch: 0 };
    ensureWritableDir(opts.out);
    saveCheckpoint(opts.out, state);
    writeFileAtomic(join(opts.out, 'config.json'), JSON.stringify(config, null, 2) + '\n');
    const { inputDim, hidden, latent } = model.config;
    process.stdout.write(`imported a ${[inputDim, ...hidden, latent].join('-')} VAE into ${opts.out}\n`);
    return 0;
  },
};
