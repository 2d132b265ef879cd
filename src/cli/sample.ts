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
import { modelImageShape } from '../viz/image-shape.js';
import type { FigureWords } from '../viz/words.js';
import { dataDescriptionOf } from '../train/config.js';

/** "circle, square" or "0 to 9": the classes a user may name. */
function classChoices(model: VAE, words: FigureWords): string {
  const names = words.classNames.slice(0, model.classes);
  if (names.length === model.classes && model.classes <= 20) return names.join(', ');
  return `0 to ${model.classes - 1}`;
}

/**
 * The class --class names: a class name of the data (exactly, else ignoring case), or its
 * index 0..classes-1 (a name wins when a class is itself called "3").
 */
export function resolveClass(model: VAE, words: FigureWords, spec: string): number {
  if (model.classes === 0) throw new UserError('vae sample: --class needs a conditional model (train one with --conditional)');
  const names = words.classNames.slice(0, model.classes);
  const exact = names.indexOf(spec);
  if (exact >= 0) return exact;
  const folded = names.map((n) => n.toLowerCase()).indexOf(spec.toLowerCase());
  if (folded >= 0 && names.filter((n) => n.toLowerCase() === spec.toLowerCase()).length === 1) return folded;
  if (/^\d+$/.test(spec) && Number(spec) < model.classes) return Number(spec);
  throw new UserError(`vae sample: --class ${spec} is not a class of this model (${classChoices(model, words)})`);
}

/** The class --digit names, for digit data only. */
function resolveDigit(model: VAE, words: FigureWords, digit: number): number {
  // Without classes neither flag applies, so the advice to use --class would only lead to the next refusal.
  if (model.classes === 0) throw new UserError('vae sample: --digit needs a conditional model (train one with --conditional)');
  if (words.noun !== 'digit') {
    throw new UserError(`vae sample: --digit is for digit data, and this model's data are not digits; use --class NAME or INDEX (${classChoices(model, words)})`);
  }
  if (digit >= model.classes) throw new UserError(`vae sample: --digit ${digit} is not a class of this model (0 to ${model.classes - 1})`);
  return digit;
}

/** The labels to decode with: the chosen class, or every class in turn for a conditional model. */
function classLabels(model: VAE, count: number, label: number | undefined): Uint16Array | undefined {
  if (label === undefined) return sampleLabels(model, count);
  return new Uint16Array(count).fill(label);
}

const flags = {
  checkpoint: checkpointFlag,
  count: { kind: 'int', min: 1, max: 1024, default: 64, help: 'Number of samples', alias: 'n' },
  seed: { kind: 'int', min: 0, max: 0xffffffff, default: 0, help: 'Seed for z ~ N(0, I)' },
  class: { kind: 'string', help: 'Class to draw from a conditional VAE, by name or index (default: every class in turn)', valueName: 'NAME|INDEX' },
  digit: { kind: 'int', min: 0, max: 999, help: 'Digit to draw from a conditional VAE of digit data (the same as --class D)', valueName: 'D' },
  scale: scaleFlag,
  out: pngOutFlag('samples.png'),
  kernels: kernelsFlag,
} as const;

export const sampleCommand: Command = {
  name: 'sample',
  summary: 'Draw z ~ N(0, I), decode each to its mean image, and save them as a grid; --class NAME picks the class of a conditional VAE.',
  flags,
  async run(argv) {
    const opts = parseFlags('vae sample', argv, flags);
    applyKernels(opts.kernels);
    if (opts.class !== undefined && opts.digit !== undefined) throw new UserError('vae sample: give --class or --digit, not both');
    const state = loadCheckpoint(opts.checkpoint);
    const { model } = state;
    const words = dataDescriptionOf(state.config);
    const label =
      opts.class !== undefined ? resolveClass(model, words, opts.class) : opts.digit !== undefined ? resolveDigit(model, words, opts.digit) : undefined;
    const labels = classLabels(model, opts.count, label);
    const images = model.sample(opts.count, new Random(opts.seed), labels);
    const { channels, height: h, width: w } = modelImageShape(model.config);
    writePng(opts.out, imageGrid(images, opts.count, h, w, { scale: opts.scale, channels }));
    const of = label === undefined ? '' : ` of class ${words.classNames[label] ?? label}`;
    process.stdout.write(`wrote ${opts.count} samples${of} to ${opts.out}\n`);
    return 0;
  },
};
