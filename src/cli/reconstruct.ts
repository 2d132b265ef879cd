import { parseFlags } from './args.js';
import type { Command } from './command.js';
import { checkpointFlag } from './shared-flags.js';
import { writePng } from './output.js';
import { UserError } from '../errors.js';
import { Tensor } from '../engine/tensor.js';
import { loadCheckpoint } from '../train/checkpoint.js';
import { loadDataset } from '../data/source.js';
import { pixelsPerImage, subset } from '../data/dataset.js';
import { imageRows } from '../viz/grid.js';

const flags = {
  checkpoint: checkpointFlag,
  count: { kind: 'int', min: 1, max: 10000, default: 8, help: 'Number of test digits', alias: 'n' },
  scale: { kind: 'int', min: 1, max: 16, default: 2, help: 'Pixels per image pixel in the PNG' },
  out: { kind: 'string', required: true, help: 'PNG file to write', valueName: 'FILE.png' },
} as const;

/** Digits per row pair, so a large n wraps instead of making one endless strip. */
const PER_ROW = 16;

export const reconstructCommand: Command = {
  name: 'reconstruct',
  summary: 'Encode the first n test digits and decode their posterior means: originals above reconstructions.',
  flags,
  async run(argv) {
    const opts = parseFlags('vae reconstruct', argv, flags);
    const state = loadCheckpoint(opts.checkpoint);
    const data = loadDataset(state.config.training.dataset);
    const test = subset(data.test, opts.count);
    const dim = pixelsPerImage(test);
    if (dim !== state.model.config.inputDim) {
      throw new UserError(`vae reconstruct: the dataset has ${dim} pixels per image, the model expects ${state.model.config.inputDim}`);
    }
    writePng(opts.out, reconstructionFigure(state.model.reconstruct.bind(state.model), test.images, test.count, test.height, test.width, opts.scale));
    process.stdout.write(`wrote ${test.count} originals and reconstructions to ${opts.out}\n`);
    return 0;
  },
};

/** Rows of originals, each followed by the row of their reconstructions. */
export function reconstructionFigure(
  reconstruct: (x: Tensor) => Float32Array,
  images: Float32Array,
  count: number,
  height: number,
  width: number,
  scale: number,
): ReturnType<typeof imageRows> {
  const dim = height * width;
  const recon = reconstruct(new Tensor(images.subarray(0, count * dim), [count, dim]));
  const rows: Float32Array[] = [];
  for (let start = 0; start < count; start += PER_ROW) {
    const end = Math.min(start + PER_ROW, count);
    rows.push(images.subarray(start * dim, end * dim), recon.subarray(start * dim, end * dim));
  }
  return imageRows(rows, Math.min(count, PER_ROW), height, width, { scale });
}
