import { parseFlags } from './args.js';
import type { Command } from './command.js';
import { checkpointFlag, pngOutFlag, scaleFlag, applyKernels, kernelsFlag } from './shared-flags.js';
import { writePng } from './output.js';
import { Random } from '../engine/random.js';
import { loadCheckpoint } from '../train/checkpoint.js';
import { imageGrid } from '../viz/grid.js';

const flags = {
  checkpoint: checkpointFlag,
  count: { kind: 'int', min: 1, max: 1024, default: 64, help: 'Number of samples', alias: 'n' },
  seed: { kind: 'int', min: 0, max: 0xffffffff, default: 0, help: 'Seed for z ~ N(0, I)' },
  scale: scaleFlag,
  out: pngOutFlag,
  kernels: kernelsFlag,
} as const;

export const sampleCommand: Command = {
  name: 'sample',
  summary: 'Draw z ~ N(0, I), decode each to its mean image, and save them as a grid.',
  flags,
  async run(argv) {
    const opts = parseFlags('vae sample', argv, flags);
    applyKernels(opts.kernels);
    const { model } = loadCheckpoint(opts.checkpoint);
    const images = model.sample(opts.count, new Random(opts.seed));
    const { imageHeight: h, imageWidth: w } = model.config;
    writePng(opts.out, imageGrid(images, opts.count, h, w, { scale: opts.scale }));
    process.stdout.write(`wrote ${opts.count} samples to ${opts.out}\n`);
    return 0;
  },
};
