import { parseFlags } from './args.js';
import type { Command } from './command.js';
import { checkpointFlag, pngOutFlag, scaleFlag, applyKernels, kernelsFlag } from './shared-flags.js';
import { writePng } from './output.js';
import { Random } from '../engine/random.js';
import { loadCheckpoint } from '../train/checkpoint.js';
import { imageGrid } from '../viz/grid.js';
import { UserError } from '../errors.js';
import type { VAE } from '../vae/model.js';
import { sampleLabels } from './family-flags.js';

/** The labels to decode with: the chosen class, or every class in turn for a conditional model. */
function classLabels(model: VAE, count: number, digit: number | undefined): Uint16Array | undefined {
  if (digit === undefined) return sampleLabels(model, count);
  if (model.classes === 0) throw new UserError('vae sample: --digit needs a conditional model (train one with --conditional)');
  if (digit >= model.classes) throw new UserError(`vae sample: --digit ${digit} is not a class of this model (0 to ${model.classes - 1})`);
  return new Uint16Array(count).fill(digit);
}

const flags = {
  checkpoint: checkpointFlag,
  count: { kind: 'int', min: 1, max: 1024, default: 64, help: 'Number of samples', alias: 'n' },
  seed: { kind: 'int', min: 0, max: 0xffffffff, default: 0, help: 'Seed for z ~ N(0, I)' },
  digit: { kind: 'int', min: 0, max: 999, help: 'Class to draw from a conditional VAE (default: every class in turn)', valueName: 'D' },
  scale: scaleFlag,
  out: pngOutFlag('samples.png'),
  kernels: kernelsFlag,
} as const;

export const sampleCommand: Command = {
  name: 'sample',
  summary: 'Draw z ~ N(0, I), decode each to its mean image, and save them as a grid; --digit D picks the class of a conditional VAE.',
  flags,
  async run(argv) {
    const opts = parseFlags('vae sample', argv, flags);
    applyKernels(opts.kernels);
    const { model } = loadCheckpoint(opts.checkpoint);
    const labels = classLabels(model, opts.count, opts.digit);
    const images = model.sample(opts.count, new Random(opts.seed), labels);
    const { imageHeight: h, imageWidth: w } = model.config;
    writePng(opts.out, imageGrid(images, opts.count, h, w, { scale: opts.scale }));
    process.stdout.write(`wrote ${opts.count} samples${opts.digit === undefined ? '' : ` of class ${opts.digit}`} to ${opts.out}\n`);
    return 0;
  },
};
