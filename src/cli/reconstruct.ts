import { parseFlags } from './args.js';
import type { Command } from './command.js';
import { checkpointFlag, pngOutFlag, scaleFlag, applyKernels, kernelsFlag } from './shared-flags.js';
import { writePng } from './output.js';
import { datasetForRun } from './run-data.js';
import { loadCheckpoint } from '../train/checkpoint.js';
import { datasetFloats, subset } from '../data/dataset.js';
import { reconstructionFigure } from '../viz/figures.js';

const flags = {
  checkpoint: checkpointFlag,
  count: { kind: 'int', min: 1, max: 1024, default: 8, help: 'Number of test digits', alias: 'n' },
  scale: scaleFlag,
  out: pngOutFlag('reconstructions.png'),
  kernels: kernelsFlag,
} as const;

export const reconstructCommand: Command = {
  name: 'reconstruct',
  summary: 'Encode the first n test digits and decode their posterior means: originals above reconstructions.',
  flags,
  async run(argv) {
    const opts = parseFlags('vae reconstruct', argv, flags);
    applyKernels(opts.kernels);
    const state = loadCheckpoint(opts.checkpoint);
    const test = subset(datasetForRun('vae reconstruct', state).test, opts.count);
    writePng(opts.out, reconstructionFigure((x) => state.model.reconstruct(x, test.labels), datasetFloats(test), test.count, test.height, test.width, opts.scale));
    process.stdout.write(`wrote ${test.count} originals and reconstructions to ${opts.out}\n`);
    return 0;
  },
};
